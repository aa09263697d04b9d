"""Each affiliation rule on small hand-written DSNs, contract parameters and portal exports
loaded through the real parser and core model: the situation it must find, and a close one it
must leave alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dsn_parser import parse
from dsn_parser.model import DeclarationStatus
from quality.affiliation.states import Status
from quality.affiliation.store import refresh_states
from quality.anomalies.detection import RuleSettings
from tests.quality.dsn_cases import (
    APR,
    FEB,
    HEALTH,
    JAN,
    MAR,
    NIR,
    NTT,
    OTHER_NIR,
    OTHER_SIRET,
    PROVIDENT,
    SIRET,
    Affiliation,
    Person,
    Portal,
    detect,
    load_night,
    monthly,
)
from warehouse.migrations import apply_migrations

Warehouse = tuple[duckdb.DuckDBPyConnection, Path]
HEALTH_ONLY = (Affiliation(),)
OTHER = Person(nir=OTHER_NIR, last_name="DURAND", first_names="PAUL", number="C0002")
FIRST_NIGHT, SECOND_NIGHT = date(2025, 3, 15), date(2025, 4, 15)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    # In memory: the rules read the warehouse's tables, not its file.
    with duckdb.connect() as connection:
        apply_migrations(connection)
        yield connection, tmp_path


def night(
    warehouse: Warehouse,
    *files: bytes,
    portal: Portal | None = None,
) -> duckdb.DuckDBPyConnection:
    connection, landing = warehouse
    return load_night(connection, landing, date(2025, 7, 1), *files, portal=portal)


def keys(rows: list[dict[str, object]], *columns: str) -> list[tuple[object, ...]]:
    return [tuple(row[c] for c in columns) for row in rows]


# -- presence ---------------------------------------------------------------------------------


def test_aff001_non_cadre_without_provident_affiliation(warehouse: Warehouse) -> None:
    connection = night(warehouse, monthly(JAN, Person(affiliations=HEALTH_ONLY)))
    [row] = detect(connection, "AFF001")
    assert (row["siret"], row["employee_key"], row["contract_reference"]) == (
        SIRET,
        NIR,
        PROVIDENT,
    )
    assert row["period"] == JAN and "population NC" in str(row["detail"])
    assert row["employee_name"] == "MARTIN JEANNE"


def test_aff001_not_for_a_cadre_outside_the_provident_population(warehouse: Warehouse) -> None:
    cadre = Person(category="01", affiliations=HEALTH_ONLY)
    assert detect(night(warehouse, monthly(JAN, cadre)), "AFF001") == []


def test_aff001_not_for_an_exempted_employee(warehouse: Warehouse) -> None:
    without_health = Person(affiliations=(Affiliation(PROVIDENT, None, "NC"),))
    connection = night(
        warehouse, monthly(JAN, without_health), portal=Portal().exemption(date(2024, 6, 1))
    )
    assert detect(connection, "AFF001") == []


def test_aff002_affiliated_then_absent_without_contract_end(warehouse: Warehouse) -> None:
    connection = night(warehouse, monthly(JAN, Person(), OTHER), monthly(FEB, OTHER))
    rows = detect(connection, "AFF002")
    assert sorted(keys(rows, "employee_key", "contract_reference", "period")) == [
        (NIR, PROVIDENT, FEB),
        (NIR, HEALTH, FEB),
    ]


def test_aff002_not_after_a_declared_contract_end(warehouse: Warehouse) -> None:
    leaving = Person(end=(date(2025, 1, 31), "059"))
    connection = night(warehouse, monthly(JAN, leaving, OTHER), monthly(FEB, OTHER))
    assert detect(connection, "AFF002") == []


def test_aff002_waits_for_the_next_month_dsn(warehouse: Warehouse) -> None:
    assert detect(night(warehouse, monthly(JAN, Person())), "AFF002") == []


def test_aff002_after_a_month_declared_without_affiliation_per_the_register(
    warehouse: Warehouse,
) -> None:
    """Affiliated in January, declared without any S21.G00.70 in February (AFF001): the
    register still shows him affilié after that night, so his absence from March's DSN, the
    next night, is an absence."""
    connection, landing = warehouse
    unaffiliated = Person(affiliations=())
    load_night(connection, landing, FIRST_NIGHT, monthly(JAN, Person(), OTHER))
    load_night(connection, landing, FIRST_NIGHT, monthly(FEB, unaffiliated, OTHER))
    assert {row["contract_reference"] for row in detect(connection, "AFF001", FIRST_NIGHT)} == {
        HEALTH,
        PROVIDENT,
    }
    states = refresh_states(connection, FIRST_NIGHT)
    assert set(states.filter(employee_key=NIR)["status"]) == {Status.AFFILIATED}
    load_night(connection, landing, SECOND_NIGHT, monthly(MAR, OTHER))
    rows = detect(connection, "AFF002", SECOND_NIGHT)
    assert sorted(keys(rows, "employee_key", "contract_reference", "period")) == [
        (NIR, PROVIDENT, MAR),
        (NIR, HEALTH, MAR),
    ]


def test_aff002_a_month_that_never_arrived_does_not_hide_the_absence(
    warehouse: Warehouse,
) -> None:
    """January declares him affiliated, February's DSN never arrives, March's does without
    him: the absence is March's."""
    connection = night(warehouse, monthly(JAN, Person(), OTHER), monthly(MAR, OTHER))
    rows = detect(connection, "AFF002")
    assert sorted(keys(rows, "employee_key", "contract_reference", "period")) == [
        (NIR, PROVIDENT, MAR),
        (NIR, HEALTH, MAR),
    ]


def test_aff002_not_for_an_employee_the_register_has_radiated(warehouse: Warehouse) -> None:
    """The portal radiated him from the health contract: once the register says so, his absence
    from the next DSN is expected on that contract, not on the provident one."""
    connection, landing = warehouse
    portal = Portal().radiation(date(2025, 1, 31))
    load_night(connection, landing, FIRST_NIGHT, monthly(JAN, Person(), OTHER), portal=portal)
    refresh_states(connection, FIRST_NIGHT)
    load_night(connection, landing, SECOND_NIGHT, monthly(FEB, OTHER), portal=portal)
    rows = detect(connection, "AFF002", SECOND_NIGHT)
    assert keys(rows, "employee_key", "contract_reference", "period") == [(NIR, PROVIDENT, FEB)]


def test_aff009_still_declared_the_month_after_the_end(warehouse: Warehouse) -> None:
    resigned = Person(end=(date(2025, 1, 20), "059"))
    connection = night(warehouse, monthly(JAN, resigned), monthly(FEB, Person()))
    [row] = detect(connection, "AFF009")
    assert (row["employee_key"], row["employment_number"], row["period"]) == (NIR, "C0001", FEB)
    assert "20/01/2025" in str(row["detail"])


def test_aff009_not_in_the_month_of_the_end(warehouse: Warehouse) -> None:
    resigned = Person(end=(date(2025, 1, 20), "059"))
    assert detect(night(warehouse, monthly(JAN, resigned)), "AFF009") == []


# -- contracts --------------------------------------------------------------------------------


def test_aff003_affiliation_to_a_contract_without_parameters(warehouse: Warehouse) -> None:
    unknown = Person(affiliations=(*Person().affiliations, Affiliation("INCONNU-9", None, "NC")))
    [row] = detect(night(warehouse, monthly(JAN, unknown)), "AFF003")
    assert row["contract_reference"] == "INCONNU-9"
    assert "inconnu" in str(row["detail"])


def test_aff003_not_for_known_contracts(warehouse: Warehouse) -> None:
    assert detect(night(warehouse, monthly(JAN, Person())), "AFF003") == []


def test_aff004_option_outside_the_contract_parameters(warehouse: Warehouse) -> None:
    odd = Person(affiliations=(Affiliation(option="OPT9"), Affiliation(PROVIDENT, None, "NC")))
    [row] = detect(night(warehouse, monthly(JAN, odd)), "AFF004")
    assert (row["contract_reference"], row["situation"]) == (HEALTH, "OPT9")


def test_aff004_not_for_an_option_the_contract_offers(warehouse: Warehouse) -> None:
    renfort = Person(affiliations=(Affiliation(option="OPT1"), Affiliation(PROVIDENT, None, "NC")))
    assert detect(night(warehouse, monthly(JAN, renfort)), "AFF004") == []


def test_aff005_population_outside_the_contract_parameters(warehouse: Warehouse) -> None:
    odd = Person(affiliations=(Affiliation(), Affiliation(PROVIDENT, None, "POPX")))
    [row] = detect(night(warehouse, monthly(JAN, odd)), "AFF005")
    assert (row["contract_reference"], row["situation"]) == (PROVIDENT, "POPX")
    assert detect(night(warehouse, monthly(FEB, Person())), "AFF005") == [row]


# -- identity ---------------------------------------------------------------------------------


def test_aff006_ntt_without_nir_three_months_after_hiring(warehouse: Warehouse) -> None:
    newcomer = Person(nir=None, ntt=NTT, start=date(2025, 1, 6))
    files = [monthly(month, newcomer) for month in (JAN, FEB, MAR, APR)]
    rows = detect(night(warehouse, *files), "AFF006")
    assert keys(rows, "employee_key", "period") == [(NTT, APR)]


def test_aff006_not_when_the_nir_arrives_within_the_delay(warehouse: Warehouse) -> None:
    newcomer = Person(nir=None, ntt=NTT, start=date(2025, 1, 6))
    known = Person(ntt=NTT, start=date(2025, 1, 6))
    files = [monthly(JAN, newcomer), monthly(FEB, newcomer), monthly(MAR, known)]
    files.append(monthly(APR, Person(start=date(2025, 1, 6))))
    assert detect(night(warehouse, *files), "AFF006") == []


def test_aff007_nir_changed_without_identity_block(warehouse: Warehouse) -> None:
    connection = night(warehouse, monthly(JAN, Person(nir=OTHER_NIR)), monthly(FEB, Person()))
    [row] = detect(connection, "AFF007")
    assert (row["employee_key"], row["situation"], row["period"]) == (NIR, OTHER_NIR, FEB)


def test_aff007_not_when_s21_g00_31_names_the_old_nir(warehouse: Warehouse) -> None:
    corrected = Person(previous_nir=(date(2025, 2, 1), OTHER_NIR))
    connection = night(warehouse, monthly(JAN, Person(nir=OTHER_NIR)), monthly(FEB, corrected))
    assert detect(connection, "AFF007") == []
    # and the person is one employee: no absence of the old NIR either
    assert detect(connection, "AFF002") == []


def test_aff008_same_nir_declared_by_two_establishments(warehouse: Warehouse) -> None:
    elsewhere = monthly(FEB, OTHER, Person(number="B0007"), siret=OTHER_SIRET)
    files = [monthly(JAN, Person()), monthly(FEB, Person()), elsewhere]
    [row] = detect(night(warehouse, *files), "AFF008")
    assert (row["employee_key"], row["siret"], row["period"]) == (NIR, OTHER_SIRET, FEB)
    assert row["situation"] == f"{SIRET}+{OTHER_SIRET}"


def test_aff008_not_for_two_people_in_two_establishments(warehouse: Warehouse) -> None:
    files = [monthly(FEB, Person()), monthly(FEB, OTHER, siret=OTHER_SIRET)]
    assert detect(night(warehouse, *files), "AFF008") == []


# -- dependants, dates ------------------------------------------------------------------------


def test_aff010_counts_that_do_not_match_the_dependant_blocks(warehouse: Warehouse) -> None:
    family = Affiliation(dependants=("01", "02"), counts=(1, 3, 0, 2))
    odd = Person(affiliations=(family, Affiliation(PROVIDENT, None, "NC")))
    [row] = detect(night(warehouse, monthly(JAN, odd)), "AFF010")
    assert row["contract_reference"] == HEALTH
    assert "enfants 2" in str(row["detail"]) and "enfants 1" in str(row["detail"])


def test_aff010_not_when_counts_match(warehouse: Warehouse) -> None:
    family = Affiliation(dependants=("01", "02", "02"))
    right = Person(affiliations=(family, Affiliation(PROVIDENT, None, "NC")))
    assert detect(night(warehouse, monthly(JAN, right)), "AFF010") == []


def aff011(
    warehouse: Warehouse, *months: tuple[date, tuple[Affiliation, ...]]
) -> list[dict[str, object]]:
    """AFF011 on monthly DSNs declaring, each month, these health affiliations (with the
    provident one)."""
    files = [
        monthly(month, Person(affiliations=(*health, Affiliation(PROVIDENT, None, "NC"))))
        for month, health in months
    ]
    return detect(night(warehouse, *files), "AFF011")


def test_aff011_an_end_declared_later_before_the_start_declared_earlier(
    warehouse: Warehouse,
) -> None:
    """January declares the affiliation from the 15th; February restates it from the 1st and
    ends it on the 5th: each block is valid on its own (S21.G00.70.015/CCH-11 passes), the
    affiliation ends before the start January gave it."""
    [row] = aff011(
        warehouse,
        (JAN, (Affiliation(start=date(2025, 1, 15)),)),
        (FEB, (Affiliation(start=date(2025, 1, 1), end=date(2025, 1, 5)),)),
    )
    assert (row["contract_reference"], row["affiliation_date"], row["period"]) == (
        HEALTH,
        date(2025, 1, 15),
        FEB,
    )
    assert row["detail"] == (
        "Affiliation déclarée débutant le 15/01/2025 (S21.G00.70.014), puis terminée le "
        "05/01/2025 (S21.G00.70.015), avant son début"
    )
    assert row["employee_key"] == NIR and row["employment_number"] == "C0001"


def test_aff011_a_contract_end_declared_later_before_the_affiliation_start(
    warehouse: Warehouse,
) -> None:
    provident = Affiliation(PROVIDENT, None, "NC")
    starting = Person(affiliations=(Affiliation(start=date(2025, 1, 20)), provident))
    leaving = Person(end=(date(2025, 1, 10), "059"))
    connection = night(warehouse, monthly(JAN, starting), monthly(FEB, leaving))
    [row] = detect(connection, "AFF011")
    assert (row["contract_reference"], row["affiliation_date"], row["period"]) == (
        HEALTH,
        date(2025, 1, 20),
        FEB,
    )
    assert "terminé le 10/01/2025 (S21.G00.62.001)" in str(row["detail"])
    # the steward is sent to the February DSN, the one that declared the end
    assert (row["file_id"], row["declaration_id"]) == connection.execute(
        "SELECT file_id, declaration_id FROM core.declaration_versions WHERE month = ?", [FEB]
    ).fetchone()


def test_aff011_not_for_an_affiliation_ended_then_started_again(warehouse: Warehouse) -> None:
    """The January end precedes the February start, which came later: two periods."""
    assert (
        aff011(
            warehouse,
            (JAN, (Affiliation(start=date(2025, 1, 5), end=date(2025, 1, 20)),)),
            (FEB, (Affiliation(start=date(2025, 2, 10)),)),
            (MAR, (Affiliation(),)),
        )
        == []
    )


def test_aff011_not_for_a_change_of_option_within_the_month(warehouse: Warehouse) -> None:
    """BASE ends on the 14th where OPT1 starts on the 15th: two affiliations of one contract."""
    change = (
        Affiliation(end=date(2025, 1, 14)),
        Affiliation(option="OPT1", start=date(2025, 1, 15)),
    )
    assert aff011(warehouse, (JAN, change), (FEB, (Affiliation(option="OPT1"),))) == []


def test_aff011_leaves_an_end_before_the_start_of_the_same_block_to_the_validator(
    warehouse: Warehouse,
) -> None:
    """Since S21.G00.70.015/CCH-11 blocks, the one-block case rejects the individual: the
    declaration is partially accepted and the company reads the official message in its
    compte rendu. The night still loads the declaration, and AFF011 does not report it again:
    it looks only for what no single block shows."""
    backwards = Affiliation(start=date(2025, 1, 15), end=date(2025, 1, 5))
    file = monthly(JAN, Person(affiliations=(backwards, Affiliation(PROVIDENT, None, "NC"))))
    [parsed] = parse(file)
    [control] = parsed.diagnostics.filter(pl.col("severity") == "error")["code"]
    assert control == "S21.G00.70.015/CCH-11"
    assert parsed.declarations["status"].to_list() == [DeclarationStatus.PARTIALLY_ACCEPTED]
    connection, landing = warehouse
    loaded = load_night(connection, landing, date(2025, 7, 1), file, rejecting=(control,))
    assert detect(loaded, "AFF011") == []


# -- contributions ----------------------------------------------------------------------------


def test_aff012_contribution_off_the_contract_rate(warehouse: Warehouse) -> None:
    provident = Affiliation(PROVIDENT, None, "NC")
    overpaid = Person(affiliations=(Affiliation(amount="36.00"), provident))
    connection = night(warehouse, monthly(JAN, Person()), monthly(FEB, overpaid))
    [row] = detect(connection, "AFF012")
    # 1 % of the 3 000.00 tranche A is 30.00
    assert (row["contract_reference"], row["period"]) == (HEALTH, FEB)
    assert "36.00" in str(row["detail"]) and "30.00" in str(row["detail"])


def test_aff012_tolerates_a_few_cents(warehouse: Warehouse) -> None:
    rounded = Person(affiliations=(Affiliation(amount="30.04"), Affiliation(PROVIDENT, None, "NC")))
    connection = night(warehouse, monthly(JAN, rounded))
    assert detect(connection, "AFF012") == []
    strict = RuleSettings(contribution_tolerance=Decimal("0.01"))
    assert len(detect(connection, "AFF012", settings=strict)) == 1


# -- portal -----------------------------------------------------------------------------------


def test_aff013_request_never_seen_in_the_dsn(warehouse: Warehouse) -> None:
    portal = Portal().request(asked=date(2025, 1, 10), hired=date(2025, 1, 13))
    connection = night(warehouse, monthly(JAN, Person()), monthly(FEB, Person()), portal=portal)
    [row] = detect(connection, "AFF013")
    assert (row["employee_key"], row["contract_reference"], row["affiliation_date"]) == (
        OTHER_NIR,
        HEALTH,
        date(2025, 1, 13),
    )


def test_aff013_not_when_the_dsn_declares_the_person(warehouse: Warehouse) -> None:
    portal = Portal().request(asked=date(2025, 1, 10), hired=date(2025, 1, 13))
    connection = night(warehouse, monthly(JAN, Person(), OTHER), portal=portal)
    assert detect(connection, "AFF013") == []


def test_aff013_leaves_a_declared_person_without_affiliation_to_aff001(
    warehouse: Warehouse,
) -> None:
    portal = Portal().request(asked=date(2025, 1, 10), hired=date(2025, 1, 13))
    provident_only = Person(
        nir=OTHER_NIR, number="C0002", affiliations=(Affiliation(PROVIDENT, None, "NC"),)
    )
    connection = night(warehouse, monthly(JAN, Person(), provident_only), portal=portal)
    assert detect(connection, "AFF013") == []
    assert keys(detect(connection, "AFF001"), "employee_key", "contract_reference") == [
        (OTHER_NIR, HEALTH)
    ]


def test_aff013_not_before_the_delay_nor_before_the_hiring_month_dsn(warehouse: Warehouse) -> None:
    portal = Portal().request(asked=date(2025, 6, 20), hired=date(2025, 7, 1))
    connection = night(warehouse, monthly(JAN, Person()), portal=portal)
    assert detect(connection, "AFF013", night=date(2025, 7, 1)) == []
    assert detect(connection, "AFF013", night=date(2025, 12, 1)) == []  # no July DSN yet


def test_aff014_declared_while_exempted(warehouse: Warehouse) -> None:
    portal = Portal().exemption(date(2024, 6, 1))
    [row] = detect(night(warehouse, monthly(JAN, Person()), portal=portal), "AFF014")
    assert (row["employee_key"], row["contract_reference"]) == (NIR, HEALTH)


def test_aff014_not_for_an_exemption_from_another_contract_or_person(warehouse: Warehouse) -> None:
    portal = Portal().exemption(date(2024, 6, 1), nir=OTHER_NIR)
    assert detect(night(warehouse, monthly(JAN, Person()), portal=portal), "AFF014") == []


def test_aff015_declared_after_a_portal_radiation(warehouse: Warehouse) -> None:
    portal = Portal().radiation(date(2025, 1, 10))
    files = [monthly(JAN, Person()), monthly(FEB, Person())]
    [row] = detect(night(warehouse, *files, portal=portal), "AFF015")
    assert (row["contract_reference"], row["period"]) == (HEALTH, FEB)
    assert "10/01/2025" in str(row["detail"])


def test_aff015_not_in_the_month_of_the_radiation(warehouse: Warehouse) -> None:
    portal = Portal().radiation(date(2025, 1, 10))
    assert detect(night(warehouse, monthly(JAN, Person()), portal=portal), "AFF015") == []
