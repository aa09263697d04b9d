"""The official coherence controls (CCH, SIG) an insurer's reception applies, as a rule table.

Each rule names its control in the catalogue (dsn_parser/norm/data/controls.csv), which gives
its severity (SIG non-blocking, CCH blocking, but a warning while on trial), its norm versions
and its official message; see `rules.py` for what a rule is. A control no rule can express is
implemented in code, in a module of its own listed in IN_CODE. Controls the insurer's reception
does not apply are listed, with their reason, in dsn_parser/norm/controls_not_applicable.csv;
docs/controls.md shows all three.

Controls stated against "the current year" use the year the file was built
(S20.G00.05.007) instead, so that re-reading a file later gives the same result.
"""

from __future__ import annotations

import polars as pl

from dsn_parser.validation import base_period
from dsn_parser.validation.context import Context
from dsn_parser.validation.rules import (
    Aggregate,
    Check,
    Reference,
    Rule,
    Unique,
    absent,
    amount,
    date,
    evaluate,
    iff,
    is_,
    is_not,
    make_plan,
    month_end,
    present,
    year,
)

# The dating controls of the cahier technique: §4.4.12 in monthly DSNs and substitutions (not
# after the last day of the declared month), §4.4.13 in event signals (not after the day the
# file was built).
MONTHLY = ("01", "09")
EVENTS = ("04", "05", "07")
MONTH_END = month_end("S20.G00.05.005")
BUILT = date("S20.G00.05.007")
BUILT_YEAR = year("S20.G00.05.007")
SIRET = pl.concat_str("S21.G00.06.001", "S21.G00.11.001")
BASE_31 = is_("S21.G00.78.001", "31")
COTISATION_059 = is_("S21.G00.81.001", "059")
# The contract's end date (S21.G00.62.001), unless the end was cancelled (reason 099).
CONTRACT_END = pl.col("contract_end")
# A payment to a provident organism: one the establishment adheres to, or one with components.
TO_PROVIDENT = pl.col("provident_organisms").list.contains(pl.col("S21.G00.20.001")).fill_null(
    False
) | (pl.col("components") > 0)
PREVOYANCE_COMPONENTS = [f"{n}" for n in range(10, 22)] + ["23", "24"]
# Contract end reasons with a notification date (S21.G00.62.003/CCH-12).
NOTIFIED_REASONS = (
    "011",
    "012",
    "014",
    "015",
    "020",
    "025",
    "034",
    "035",
    "036",
    "037",
    "058",
    "059",
    "082",
    "083",
    "087",
    "088",
    "089",
    "095",
    "096",
    "097",
)
# Contract end reasons with a dismissal procedure date (S21.G00.62.005/CCH-12).
DISMISSAL_REASONS = (
    "011",
    "012",
    "014",
    "015",
    "020",
    "026",
    "086",
    "087",
    "088",
    "089",
    "091",
    "092",
    "093",
    "111",
    "112",
    "113",
    "114",
    "115",
)
SINGLE_COMPONENTS = ("10", "11", "12", "13", "14", "15", "16", "24")
# The period of a payment component (S21.G00.55.004: AAAA + M01-M12, T01-T04, S01-S02, A00,
# E00): its kind, and how many periods of that kind a year has.
PERIOD_KIND = pl.col("S21.G00.55.004").str.slice(4, 1)
PERIODS_A_YEAR = (
    pl.when(PERIOD_KIND == "M")
    .then(12)
    .when(PERIOD_KIND == "T")
    .then(4)
    .when(PERIOD_KIND == "S")
    .then(2)
    .otherwise(1)
)
# Contract natures (S21.G00.40.007) after which no CDI can have been refused (S21.G00.62.021/
# CCH-11): permanent contracts, public-law fixed terms, internships, mandates, other natures.
NO_CDI_OFFER_CONTRACTS = (
    "01",
    "07",
    "08",
    "09",
    "10",
    "20",
    "21",
    "29",
    "32",
    "50",
    "51",
    "52",
    "53",
    "54",
    "60",
    "70",
    "80",
    "81",
    "82",
    "89",
    "90",
    "91",
    "92",
    "93",
)


def _on_or_before(earlier: pl.Expr, later: pl.Expr) -> pl.Expr:
    return earlier <= later


def not_after_declared_month(control_id: str, rubric: str) -> Check:
    return Check(control_id, rubric[:10], _on_or_before(date(rubric), MONTH_END), natures=MONTHLY)


def not_after_built(control_id: str, rubric: str) -> Check:
    return Check(control_id, rubric[:10], _on_or_before(date(rubric), BUILT), natures=EVENTS)


def in_order(control_id: str, start: str, end: str) -> Check:
    return Check(control_id, end[:10], _on_or_before(date(start), date(end)))


def forbidden_value(control_id: str, rubric: str, *values: str) -> Check:
    return Check(control_id, rubric[:10], ~is_(rubric, *values))


def regularisation_only_for_past_periods(control_id: str, rubric: str, period_end: str) -> Check:
    """The id of the CRM behind a regularisation: only for a period before the declared month."""
    return Check(
        control_id,
        rubric[:10],
        date(period_end) < date("S20.G00.05.005"),
        when=present(rubric),
    )


def birth_department_existed(department: pl.Expr, birth_year: pl.Expr) -> pl.Expr:
    """2A/2B from 1976, 20 before 1976, 96 before 1968."""
    return ~(
        (department.is_in(["2A", "2B"]) & (birth_year < 1976))
        | ((department == "20") & (birth_year >= 1976))
        | ((department == "96") & (birth_year >= 1968))
    )


def plausible_birth_year(rubric: str) -> pl.Expr:
    return (year(rubric) <= BUILT_YEAR) & (year(rubric) > BUILT_YEAR - 120)


def nir_department(rubric: str) -> pl.Expr:
    return pl.col(rubric).str.slice(5, 2)


def address(postcode_control: str, town: str, country: str, abroad: str) -> list[Check]:
    """No postcode with a country or a distribution code abroad; a town with a postcode."""
    postcode = postcode_control.split("/")[0]
    return [
        Check(
            postcode_control,
            postcode[:10],
            ~(present(postcode) & (present(country) | present(abroad))),
        ),
        Check(f"{town}/CCH-11", town[:10], present(town), when=present(postcode)),
    ]


def public_service_only(control_id: str) -> Check:
    """A [FP] rubric, forbidden for a contract outside the public service (40.026 = 99)."""
    rubric = control_id.split("/")[0]
    return Check(control_id, rubric[:10], absent(rubric), when=is_("S21.G00.40.026", "99"))


def only_in_changes(control_id: str, value: str) -> Check:
    """An escape value allowed in the block of changes (S21.G00.41) only."""
    return forbidden_value(control_id, control_id.split("/")[0], value)


def contract_natures_only(
    control_id: str, schemes: tuple[str, ...], natures: tuple[str, ...]
) -> Check:
    return Check(
        control_id,
        "S21.G00.40",
        is_("S21.G00.40.007", *natures),
        when=is_("S21.G00.40.008", *schemes),
    )


def required_for_reasons(control_id: str, *reasons: str) -> Check:
    rubric = control_id.split("/")[0]
    return Check(control_id, rubric[:10], present(rubric), when=is_("S21.G00.62.002", *reasons))


AGGREGATES = (
    Aggregate("components", "S21.G00.20", "S21.G00.55", pl.len(), default=0),
    Aggregate(
        "components_total",
        "S21.G00.20",
        "S21.G00.55",
        amount("S21.G00.55.001").sum(),
        dtype=pl.Decimal(38, 2),
    ),
    Aggregate(
        "unreadable_components",
        "S21.G00.20",
        "S21.G00.55",
        amount("S21.G00.55.001").is_null().sum(),
    ),
    Aggregate(
        "provident_organisms",
        "S21.G00.11",
        "S21.G00.15",
        pl.col("S21.G00.15.002").drop_nulls(),
        key="establishment_id",
        dtype=pl.List(pl.String),
    ),
    Aggregate("base_components", "S21.G00.78", "S21.G00.79", pl.len(), default=0),
    Aggregate(
        "components_23", "S21.G00.78", "S21.G00.79", is_("S21.G00.79.001", "23").sum(), default=0
    ),
    Aggregate("cotisations_059", "S21.G00.78", "S21.G00.81", COTISATION_059.sum(), default=0),
    Aggregate(
        "cotisations_ircantec",
        "S21.G00.78",
        "S21.G00.81",
        is_("S21.G00.81.001", "060", "061").sum(),
        default=0,
    ),
    Aggregate(
        "nonzero_cotisations",
        "S21.G00.78",
        "S21.G00.81",
        (amount("S21.G00.81.004") != 0).fill_null(False).sum(),
        default=0,
    ),
    Aggregate(
        "contract_end",
        "S21.G00.40",
        "S21.G00.62",
        date("S21.G00.62.001").filter(is_not("S21.G00.62.002", "099")).first(),
        dtype=pl.Date(),
    ),
    Aggregate("pensions", "S21.G00.40", "S21.G00.71", pl.len(), default=0),
    Aggregate(
        "no_pension", "S21.G00.40", "S21.G00.71", is_("S21.G00.71.002", "90000").sum(), default=0
    ),
    Aggregate("individuals", "S20.G00.05", "S21.G00.30", pl.len(), key="declaration_id", default=0),
    Aggregate("self_employed", "S20.G00.05", "S89.G00.91", pl.len(), default=0),
    *(
        Aggregate(name, "S20.G00.05", block, pl.len(), key="declaration_id", default=0)
        for name, block in (
            ("adhesions", "S21.G00.15"),
            ("contracts", "S21.G00.40"),
            ("seniorities", "S21.G00.86"),
        )
    ),
    Aggregate(
        "declarations_with_individuals",
        "S10.G00.00",
        "S20.G00.05",
        (~(is_("S20.G00.05.001", "01") & is_("S20.G00.05.002", "02", "05"))).sum(),
        default=0,
    ),
    Aggregate("therapeutic_part_times", "S21.G00.60", "S21.G00.66", pl.len(), default=0),
    Aggregate(
        "reimbursed_unemployment_contracts",
        "S21.G00.11",
        "S21.G00.40",
        is_("S21.G00.40.029", "03").sum(),
        key="establishment_id",
        default=0,
    ),
    # The envoi's declarations by the id another names them by in S20.G00.05.006: the date the
    # file was built, then the order number.
    Aggregate(
        "declaration_ids",
        "S10.G00.00",
        "S20.G00.05",
        pl.concat_str("S20.G00.05.007", "S20.G00.05.004").drop_nulls(),
        dtype=pl.List(pl.String),
    ),
)

RULES: tuple[Rule, ...] = (
    # --- S10 envoi, S20 declaration
    Check(
        "S10.G00.00.008/CCH-11",
        "S10.G00.00",
        is_("S10.G00.00.008", "02") == (pl.col("declarations_with_individuals") == 0),
    ),
    Check(
        "S20.G00.05.001/CCH-12",
        "S20.G00.05",
        pl.col("seniorities") > 0,
        when=is_("S20.G00.05.001", "08") & (pl.col("adhesions") > 0),
    ),
    Check(
        "S20.G00.05.006/CCH-12",
        "S20.G00.05",
        absent("S20.G00.05.006"),
        when=is_not("S20.G00.05.002", "03", "04"),
    ),
    Reference(
        "S20.G00.05.009/CCH-11",
        "S20.G00.05",
        "S20.G00.05.009",
        "S21.G00.30.001",
        within="declaration_id",
        exists=False,
    ),
    Check(
        "S20.G00.05.010/SIG-11",
        "S21.G00.06",
        pl.col("S21.G00.06.005").str.slice(0, 3).is_in(["986", "987", "988"]),
        when=is_("S20.G00.05.010", "02"),
    ),
    Check(
        "S20.G00.05.011/CCH-12",
        "S20.G00.05",
        pl.col("adhesions") > 0,
        when=is_("S20.G00.05.011", "03", "04", "05"),
    ),
    Check(
        "S20.G00.05.011/CCH-14",
        "S20.G00.05",
        (pl.col("contracts") == 0) & (pl.col("seniorities") == 0),
        when=is_("S20.G00.05.011", "07"),
    ),
    Check(
        "S20.G00.05.012/CCH-11",
        "S20.G00.05",
        present("S20.G00.05.012"),
        when=is_("S20.G00.05.011", "02", "07"),
    ),
    *address("S10.G00.01.005/CCH-12", "S10.G00.01.006", "S10.G00.01.007", "S10.G00.01.008"),
    Check(
        "S20.G00.05.002/CCH-13",
        "S20.G00.05",
        is_("S20.G00.05.001", "07", "08", "09"),
        when=is_("S20.G00.05.002", "04"),
    ),
    Check(
        "S20.G00.05.002/CCH-14",
        "S20.G00.05",
        is_("S20.G00.05.001", "01"),
        when=is_("S20.G00.05.002", "02", "05"),
    ),
    Check(
        "S20.G00.05.002/CCH-15",
        "S20.G00.05",
        ~is_("S20.G00.05.001", "08"),
        when=is_("S20.G00.05.002", "03"),
    ),
    Check(
        "S20.G00.05.002/CCH-16",
        "S20.G00.05",
        (pl.col("individuals") + pl.col("self_employed")) > 0,
        when=is_("S20.G00.05.002", "01", "03"),
    ),
    Check(
        "S20.G00.05.001/CCH-11",
        "S20.G00.05",
        (pl.col("individuals") + pl.col("self_employed")) == 1,
        when=is_("S20.G00.05.001", "08"),
    ),
    Check(
        "S20.G00.05.003/CCH-11",
        "S20.G00.05",
        is_("S20.G00.05.003", "11"),
        when=is_("S20.G00.05.001", "04", "05", "07", "08"),
    ),
    Reference(
        "S20.G00.05.001/CCH-13",
        "S21.G00.15",
        "S21.G00.15.005",
        "S21.G00.70.013",
        within="declaration_id",
        natures=("08",),
    ),
    # --- S21.G00.06 company, S21.G00.11 establishment
    *address("S21.G00.06.005/CCH-11", "S21.G00.06.006", "S21.G00.06.010", "S21.G00.06.011"),
    *address("S21.G00.11.004/CCH-11", "S21.G00.11.005", "S21.G00.11.015", "S21.G00.11.016"),
    Check(
        "S21.G00.11.017/CCH-11",
        "S21.G00.11",
        present("S21.G00.11.017"),
        when=pl.col("reimbursed_unemployment_contracts") > 0,
    ),
    # --- S21.G00.15 adhésion prévoyance, S21.G00.16 its changes
    Unique(
        "S21.G00.15.001/CCH-11",
        "S21.G00.15",
        ("S21.G00.15.001", "S21.G00.15.002"),
        within="declaration_id",
    ),
    Unique("S21.G00.15.005/CCH-11", "S21.G00.15", ("S21.G00.15.005",), within="declaration_id"),
    Reference(
        "S21.G00.15.001/CCH-13",
        "S21.G00.15",
        "S21.G00.15.005",
        "S21.G00.70.013",
        within="establishment_id",
        when=is_("S21.G00.15.004", "01") & ~is_("S21.G00.11.002", "7820Z"),
    ),
    Reference(
        "S21.G00.15.001/CCH-14",
        "S21.G00.15",
        "S21.G00.15.005",
        "S21.G00.70.013",
        within="establishment_id",
        when=is_("S21.G00.15.004", "02") & ~is_("S21.G00.11.002", "7820Z"),
        exists=False,
    ),
    not_after_declared_month("S21.G00.16.001/SIG-11", "S21.G00.16.001"),
    Check(
        "S21.G00.20.010/CCH-12",
        "S21.G00.20",
        present("S21.G00.20.004"),
        when=is_("S21.G00.20.010", "05"),
    ),
    Check(
        "S21.G00.20.010/SIG-13",
        "S21.G00.20",
        present("S21.G00.20.003"),
        when=is_("S21.G00.20.010", "05"),
    ),
    Check(
        "S21.G00.20.010/SIG-14",
        "S21.G00.20",
        is_("S21.G00.20.010", "06"),
        when=present("S21.G00.20.012") & (pl.col("S21.G00.20.012") != SIRET),
    ),
    Check(
        "S21.G00.20.012/CCH-11",
        "S21.G00.20",
        amount("S21.G00.20.005") == 0,
        when=(TO_PROVIDENT | is_("S21.G00.20.001", "DGFIP"))
        & present("S21.G00.20.012")
        & (pl.col("S21.G00.20.012") != SIRET),
    ),
    Check(
        "S21.G00.20.012/CCH-12",
        "S21.G00.20",
        present("S21.G00.20.012") & (pl.col("S21.G00.20.012") != SIRET),
        when=is_("S21.G00.20.010", "06"),
    ),
    regularisation_only_for_past_periods(
        "S21.G00.20.013/CCH-11", "S21.G00.20.013", "S21.G00.20.007"
    ),
    # --- S21.G00.20 payment, S21.G00.55 its components, S21.G00.22 bordereau
    Check(
        "S21.G00.20.001/CCH-12",
        "S21.G00.20",
        pl.col("components") > 0,
        when=TO_PROVIDENT
        & (
            (amount("S21.G00.20.005") != 0)
            | absent("S21.G00.20.012")
            | (pl.col("S21.G00.20.012") == SIRET)
        ),
    ),
    Check(
        "S21.G00.20.002/CCH-11",
        "S21.G00.20",
        is_("S21.G00.20.002", "DGFIP_PAS", "DGFIP_SATD"),
        when=is_("S21.G00.20.001", "DGFIP"),
    ),
    *(
        Check(
            f"{rubric}/CCH-12",
            "S21.G00.20",
            absent(rubric),
            when=present("S21.G00.20.012") & (pl.col("S21.G00.20.012") != SIRET),
        )
        for rubric in ("S21.G00.20.003", "S21.G00.20.004")
    ),
    # A payment is the sum of its components, or nothing when they sum to less than nothing; a
    # payment without components is S21.G00.20.001/CCH-12's business.
    Check(
        "S21.G00.20.005/CCH-12",
        "S21.G00.20",
        amount("S21.G00.20.005")
        == pl.max_horizontal(pl.col("components_total"), pl.lit(0).cast(pl.Decimal(38, 2))),
        when=TO_PROVIDENT & (pl.col("components") > 0) & (pl.col("unreadable_components") == 0),
    ),
    Check(
        "S21.G00.20.005/CCH-13",
        "S21.G00.20",
        amount("S21.G00.20.005") <= pl.lit(999_999_999).cast(pl.Decimal(38, 2)),
        when=is_("S21.G00.20.001", "DGFIP"),
    ),
    in_order("S21.G00.20.007/CCH-11", "S21.G00.20.006", "S21.G00.20.007"),
    Check("S21.G00.20.007/CCH-13", "S21.G00.20", _on_or_before(date("S21.G00.20.007"), MONTH_END)),
    regularisation_only_for_past_periods(
        "S21.G00.55.005/CCH-11", "S21.G00.55.005", "S21.G00.20.007"
    ),
    in_order("S21.G00.22.004/CCH-11", "S21.G00.22.003", "S21.G00.22.004"),
    Check("S21.G00.22.004/CCH-12", "S21.G00.22", _on_or_before(date("S21.G00.22.004"), MONTH_END)),
    regularisation_only_for_past_periods(
        "S21.G00.22.006/CCH-11", "S21.G00.22.006", "S21.G00.22.004"
    ),
    # --- S21.G00.30 individual, S21.G00.31 its changes
    Check(
        "S21.G00.30.001/CCH-11",
        "S21.G00.30",
        birth_department_existed(nir_department("S21.G00.30.001"), year("S21.G00.30.006")),
        when=pl.col("S21.G00.30.001").str.len_chars() == 13,
    ),
    forbidden_value("S21.G00.30.001/CCH-13", "S21.G00.30.001", "1999999999999", "2999999999999"),
    Unique("S21.G00.30.001/CCH-14", "S21.G00.30", ("S21.G00.30.001",), within="declaration_id"),
    *(
        Check(
            f"{rubric}/CCH-15",
            "S21.G00.30",
            pl.col("self_employed") == 0,
            when=present(rubric),
            natures=("08",),
        )
        for rubric in ("S21.G00.30.001", "S21.G00.30.020")
    ),
    Check(
        "S21.G00.30.001/CCH-16",
        "S21.G00.30",
        ~pl.col("S21.G00.30.001").str.contains("9{6}$"),
    ),
    Check(
        "S21.G00.30.006/CCH-11",
        "S21.G00.30",
        pl.col("S21.G00.30.001").str.slice(1, 2) == pl.col("S21.G00.30.006").str.slice(6, 2),
    ),
    Check("S21.G00.30.006/CCH-12", "S21.G00.30", plausible_birth_year("S21.G00.30.006")),
    Check(
        "S21.G00.30.007/CCH-11",
        "S21.G00.30",
        present("S21.G00.30.007"),
        when=is_not("S21.G00.30.014", "99"),
    ),
    *address("S21.G00.30.009/CCH-12", "S21.G00.30.010", "S21.G00.30.011", "S21.G00.30.012"),
    Check(
        "S21.G00.30.014/CCH-11",
        "S21.G00.30",
        birth_department_existed(pl.col("S21.G00.30.014"), year("S21.G00.30.006")),
    ),
    Check(
        "S21.G00.30.020/CCH-12",
        "S21.G00.30",
        present("S21.G00.30.020"),
        when=absent("S21.G00.30.001"),
    ),
    Check(
        "S21.G00.30.020/CCH-13",
        "S21.G00.30",
        pl.col("S21.G00.30.020").str.slice(1, 9) == pl.col("S21.G00.06.001"),
    ),
    Unique("S21.G00.30.020/CCH-14", "S21.G00.30", ("S21.G00.30.020",), within="declaration_id"),
    Check(
        "S21.G00.30.025/CCH-11",
        "S21.G00.40",
        present("S21.G00.30.025"),
        when=is_("S21.G00.40.008", "64", "65", "81"),
    ),
    Check(
        "S21.G00.30.029/CCH-11",
        "S21.G00.30",
        present("S21.G00.30.029"),
        when=is_("S21.G00.30.014", "99") & absent("S21.G00.30.007"),
    ),
    not_after_declared_month("S21.G00.31.001/SIG-11", "S21.G00.31.001"),
    Check(
        "S21.G00.31.001/CCH-12",
        "S21.G00.31",
        pl.any_horizontal(
            present(f"S21.G00.31.{number}") for number in ("008", "009", "010", "011")
        ),
    ),
    Check("S21.G00.31.011/CCH-12", "S21.G00.31", plausible_birth_year("S21.G00.31.011")),
    # --- S21.G00.40 contract
    Check(
        "S21.G00.40.001/CCH-13",
        "S21.G00.40",
        _on_or_before(date("S21.G00.40.001"), CONTRACT_END),
    ),
    Check(
        "S21.G00.40.001/CCH-15",
        "S21.G00.40",
        date("S21.G00.40.001") > date("S21.G00.30.006"),
    ),
    not_after_declared_month("S21.G00.40.001/SIG-14", "S21.G00.40.001"),
    Check(
        "S21.G00.40.005/CCH-19",
        "S21.G00.40",
        is_("S21.G00.40.004", "424a"),
        when=is_("S21.G00.40.005", "S001"),
    ),
    *(
        Check(
            control_id,
            "S21.G00.40",
            is_("S21.G00.40.004", *professions) == is_("S21.G00.40.005", *complements),
        )
        for control_id, professions, complements in (
            ("S21.G00.40.005/CCH-11", ("389b",), ("T389N", "T389M", "C389N", "C389M")),
            ("S21.G00.40.005/CCH-12", ("352a",), ("NP352", "P352")),
            (
                "S21.G00.40.005/CCH-13",
                ("463a", "463b", "463c", "463d", "463e"),
                ("06", "07", "08", "09"),
            ),
            ("S21.G00.40.005/CCH-14", ("643a",), ("C643", "L643")),
            ("S21.G00.40.005/SIG-20", ("546d",), ("546dN", "546dM")),
        )
    ),
    only_in_changes("S21.G00.40.005/CCH-21", "999999"),
    contract_natures_only("S21.G00.40.008/CCH-11", ("81",), ("02", "92")),
    contract_natures_only("S21.G00.40.008/CCH-12", ("70",), ("02", "92")),
    contract_natures_only("S21.G00.40.008/CCH-13", ("80",), ("01", "82", "91")),
    contract_natures_only(
        "S21.G00.40.008/CCH-14", ("64", "65"), ("01", "02", "03", "08", "91", "92")
    ),
    contract_natures_only(
        "S21.G00.40.008/CCH-15", ("21", "41", "42", "61"), ("01", "02", "82", "91", "92")
    ),
    contract_natures_only("S21.G00.40.008/CCH-16", ("71",), ("02", "03", "92")),
    contract_natures_only("S21.G00.40.008/CCH-18", ("83",), ("01",)),
    Unique("S21.G00.40.009/CCH-12", "S21.G00.40", ("S21.G00.40.009",), within="individual_id"),
    Check(
        "S21.G00.40.009/CCH-15",
        "S21.G00.40",
        ~pl.col("S21.G00.40.009").str.contains("^0+$"),
        when=is_("S21.G00.40.007", "03"),
    ),
    in_order("S21.G00.40.010/CCH-11", "S21.G00.40.001", "S21.G00.40.010"),
    Check(
        "S21.G00.40.010/CCH-12",
        "S21.G00.40",
        present("S21.G00.40.010"),
        when=is_("S21.G00.40.007", "02", "03", "10", "29", "70", "92"),
    ),
    Check(
        "S21.G00.40.011/CCH-11",
        "S21.G00.40",
        is_("S21.G00.40.004", "352a"),
        when=is_("S21.G00.40.011", "31"),
    ),
    Check(
        "S21.G00.40.011/CCH-12",
        "S21.G00.40",
        (amount("S21.G00.40.012") <= 31) & (amount("S21.G00.40.013") <= 31),
        when=is_("S21.G00.40.011", "12", "20"),
    ),
    Check(
        "S21.G00.40.011/CCH-13",
        "S21.G00.40",
        (amount("S21.G00.40.012") <= 250) & (amount("S21.G00.40.013") <= 250),
        when=is_("S21.G00.40.011", "10", "21"),
    ),
    Check(
        "S21.G00.40.012/CCH-11",
        "S21.G00.40",
        amount("S21.G00.40.012") != 0,
        when=pl.col("S21.G00.40.011").cast(pl.Int32, strict=False) <= 21,
    ),
    Check(
        "S21.G00.40.014/CCH-11",
        "S21.G00.40",
        ~is_("S21.G00.40.014", "40", "41", "42"),
        when=is_("S21.G00.40.026", "99") & is_not("S21.G00.40.020", "134"),
    ),
    Check(
        "S21.G00.40.019/CCH-12",
        "S21.G00.40",
        present("S21.G00.40.019") & (pl.col("S21.G00.40.019") != SIRET),
        when=is_("S21.G00.40.007", "03"),
    ),
    Check(
        "S21.G00.40.011/SIG-14",
        "S21.G00.40",
        is_("S21.G00.40.005", "49"),
        when=is_("S21.G00.40.011", "32"),
    ),
    Check(
        "S21.G00.40.021/CCH-12",
        "S21.G00.40",
        is_("S21.G00.40.007", "03") | is_("S21.G00.40.008", "64", "65", "81"),
        when=is_("S21.G00.40.021", "11"),
    ),
    Check(
        "S21.G00.40.021/CCH-13",
        "S21.G00.40",
        is_("S21.G00.40.007", "92"),
        when=is_("S21.G00.40.021", "14"),
    ),
    only_in_changes("S21.G00.40.022/CCH-11", "99"),
    Check(
        "S21.G00.40.027/CCH-11",
        "S21.G00.40",
        absent("S21.G00.40.027"),
        when=is_not("S21.G00.40.029", "02"),
    ),
    Check(
        "S21.G00.40.029/CCH-11",
        "S21.G00.40",
        is_("S21.G00.40.008", "81"),
        when=is_("S21.G00.40.029", "05"),
    ),
    Check(
        "S21.G00.40.029/SIG-12",
        "S21.G00.40",
        present("S21.G00.40.029"),
        when=is_("S21.G00.11.017", "02", "03"),
    ),
    Check(
        "S21.G00.40.030/CCH-11",
        "S21.G00.40",
        iff(is_("S21.G00.40.029", "03", "04"), "S21.G00.40.030"),
    ),
    not_after_declared_month("S21.G00.40.030/SIG-12", "S21.G00.40.030"),
    Check(
        "S21.G00.40.031/CCH-11",
        "S21.G00.40",
        absent("S21.G00.40.031"),
        when=is_("S21.G00.40.029", "01", "02", "04", "05"),
    ),
    not_after_built("S21.G00.40.031/SIG-13", "S21.G00.40.031"),
    Check(
        "S21.G00.40.032/CCH-11",
        "S21.G00.40",
        absent("S21.G00.40.032"),
        when=is_not("S21.G00.40.029", "02"),
    ),
    Check(
        "S21.G00.40.033/CCH-11",
        "S21.G00.40",
        iff(is_("S21.G00.40.029", "02"), "S21.G00.40.033"),
    ),
    Check(
        "S21.G00.40.039/CCH-11",
        "S21.G00.40",
        pl.col("S21.G00.40.040").str.starts_with("RA") | is_("S21.G00.40.040", "999ZZ"),
        when=is_("S21.G00.40.039", "300"),
    ),
    Check(
        "S21.G00.40.040/CCH-15",
        "S21.G00.40",
        is_("S21.G00.40.039", "300"),
        when=pl.col("S21.G00.40.040").str.starts_with("RA"),
    ),
    only_in_changes("S21.G00.40.041/CCH-11", "ZZZ"),
    Check(
        "S21.G00.40.042/CCH-11",
        "S21.G00.40",
        iff(is_("S21.G00.40.018", "300"), "S21.G00.40.042"),
    ),
    Check(
        "S21.G00.40.043/SIG-11",
        "S21.G00.40",
        iff(is_not("S21.G00.40.040", "999ZZ"), "S21.G00.40.043"),
        when=present("S21.G00.40.040"),
    ),
    Check(
        "S21.G00.40.046/CCH-11",
        "S21.G00.40",
        present("S21.G00.40.046"),
        when=is_("S21.G00.40.007", "03"),
    ),
    Check(
        "S21.G00.40.046/CCH-12",
        "S21.G00.40",
        present("S21.G00.40.046"),
        when=is_("S21.G00.40.007", "08"),
    ),
    Check(
        "S21.G00.40.050/CCH-11",
        "S21.G00.40",
        is_("S21.G00.40.007", "02", "10"),
        when=present("S21.G00.40.050"),
    ),
    *(
        public_service_only(f"S21.G00.40.{number}/CCH-11")
        for number in ("052", "057", "058", "059", "060", "061", "062", "064", "065", "080")
    ),
    Check(
        "S21.G00.40.053/CCH-11",
        "S21.G00.40",
        absent("S21.G00.40.053"),
        when=is_("S21.G00.40.026", "99") & is_not("S21.G00.40.020", "134"),
    ),
    *(
        only_in_changes(f"S21.G00.40.{number}/CCH-12", "ZZ9")
        for number in ("057", "060", "061", "063", "064", "065")
    ),
    Check(
        "S21.G00.40.054/CCH-11",
        "S21.G00.40",
        iff(is_("S21.G00.40.053", "02"), "S21.G00.40.054"),
    ),
    Check(
        "S21.G00.40.063/CCH-11",
        "S21.G00.40",
        iff(present("S21.G00.40.062"), "S21.G00.40.063"),
    ),
    Check(
        "S21.G00.40.066/CCH-11",
        "S21.G00.40",
        iff(is_("S21.G00.40.007", "20", "21"), "S21.G00.40.066"),
    ),
    only_in_changes("S21.G00.40.069/CCH-11", "ZZZ"),
    only_in_changes("S21.G00.40.071/CCH-11", "000"),
    Check(
        "S21.G00.40.076/CCH-11",
        "S21.G00.40",
        iff(is_("S21.G00.40.007", "93"), "S21.G00.40.076"),
    ),
    Check(
        "S21.G00.40.074/CCH-11",
        "S21.G00.40",
        present("S21.G00.40.019") & (pl.col("S21.G00.40.019") != SIRET),
        when=is_("S21.G00.40.074", "03"),
    ),
    only_in_changes("S21.G00.40.079/CCH-11", "99999"),
    only_in_changes("S21.G00.40.080/CCH-12", "999"),
    only_in_changes("S21.G00.40.081/CCH-11", "999999999"),
    # --- S21.G00.60 work stoppage
    Check(
        "S21.G00.60.001/CCH-12",
        "S21.G00.60",
        ~is_("S21.G00.60.001", "99"),
        when=is_not("declaration_nature", "01", "07"),
    ),
    Check(
        "S21.G00.60.001/CCH-14",
        "S21.G00.60",
        ~is_("S21.G00.60.001", "15", "16", "17", "18"),
        when=is_not("declaration_nature", "01", "07"),
    ),
    Check(
        "S21.G00.60.001/SIG-13",
        "S21.G00.60",
        pl.col("therapeutic_part_times") > 0,
        when=is_("S21.G00.60.001", "15", "16", "17", "18"),
    ),
    in_order("S21.G00.60.002/CCH-12", "S21.G00.60.002", "S21.G00.60.003"),
    Check(
        "S21.G00.60.002/CCH-13",
        "S21.G00.60",
        _on_or_before(date("S21.G00.40.001"), date("S21.G00.60.002")),
        when=is_not("S21.G00.60.001", "99", "15", "16", "17", "18")
        & ~is_("S21.G00.60.011", "02")
        & is_not("S21.G00.40.007", "50"),
        natures=("01", "07"),
    ),
    not_after_declared_month("S21.G00.60.002/CCH-16", "S21.G00.60.002"),
    Check(
        "S21.G00.60.002/CCH-17",
        "S21.G00.60",
        _on_or_before(date("S21.G00.60.002"), CONTRACT_END),
        when=is_not("S21.G00.60.001", "99"),
    ),
    Check(
        "S21.G00.60.002/CCH-18",
        "S21.G00.60",
        _on_or_before(date("S21.G00.40.001"), date("S21.G00.60.002")),
        when=is_not("declaration_nature", "01", "07"),
    ),
    not_after_built("S21.G00.60.002/SIG-14", "S21.G00.60.002"),
    Check(
        "S21.G00.60.005/CCH-11",
        "S21.G00.60",
        iff(is_("S21.G00.60.004", "01"), "S21.G00.60.005"),
    ),
    not_after_built("S21.G00.60.005/SIG-12", "S21.G00.60.005"),
    Check(
        "S21.G00.60.006/CCH-11",
        "S21.G00.60",
        iff(is_("S21.G00.60.004", "01"), "S21.G00.60.006"),
    ),
    in_order("S21.G00.60.006/CCH-12", "S21.G00.60.005", "S21.G00.60.006"),
    *(
        Check(
            f"{rubric}/CCH-11",
            "S21.G00.60",
            present(rubric),
            when=is_("S21.G00.60.004", "01"),
        )
        for rubric in ("S21.G00.60.007", "S21.G00.60.008")
    ),
    Check(
        "S21.G00.60.010/CCH-11",
        "S21.G00.60",
        _on_or_before(date("S21.G00.40.001"), date("S21.G00.60.010"))
        & _on_or_before(date("S21.G00.60.002"), date("S21.G00.60.010")).fill_null(True),
    ),
    not_after_declared_month("S21.G00.60.010/SIG-12", "S21.G00.60.010"),
    not_after_built("S21.G00.60.010/SIG-13", "S21.G00.60.010"),
    Check(
        "S21.G00.60.011/CCH-12",
        "S21.G00.60",
        ~is_("S21.G00.60.011", "02"),
        when=is_not("declaration_nature", "01", "07"),
    ),
    Check(
        "S21.G00.60.012/CCH-11",
        "S21.G00.60",
        iff(is_("S21.G00.60.001", "04", "05", "06"), "S21.G00.60.012"),
    ),
    not_after_built("S21.G00.60.012/SIG-13", "S21.G00.60.012"),
    Check(
        "S21.G00.60.012/SIG-14",
        "S21.G00.60",
        _on_or_before(date("S21.G00.40.001"), date("S21.G00.60.012")),
    ),
    # --- S21.G00.62 contract end
    Check(
        "S21.G00.62.001/CCH-11",
        "S21.G00.62",
        date("S21.G00.62.001") > date("S21.G00.62.004"),
    ),
    not_after_declared_month("S21.G00.62.001/SIG-13", "S21.G00.62.001"),
    Check(
        "S21.G00.62.002/CCH-12",
        "S21.G00.62",
        ~is_("S21.G00.62.002", "100", "116", "998", "999"),
        natures=("07",),
    ),
    Check(
        "S21.G00.62.002/CCH-13",
        "S21.G00.62",
        ~is_("S21.G00.62.002", "099"),
        when=is_not("declaration_nature", "01"),
    ),
    Check(
        "S21.G00.62.002/CCH-14",
        "S21.G00.62",
        ~is_("S21.G00.62.002", "116"),
        when=is_not("S21.G00.40.020", "136"),
    ),
    Check(
        "S21.G00.62.003/CCH-11",
        "S21.G00.62",
        _on_or_before(date("S21.G00.40.001"), date("S21.G00.62.003"))
        & _on_or_before(date("S21.G00.62.003"), date("S21.G00.62.001")),
    ),
    required_for_reasons(
        "S21.G00.62.003/CCH-12",
        *NOTIFIED_REASONS,
        "111",
        "112",
        "113",
        "115",
    ),
    required_for_reasons("S21.G00.62.004/CCH-11", "043", "110", "111"),
    in_order("S21.G00.62.005/CCH-11", "S21.G00.62.005", "S21.G00.62.001"),
    required_for_reasons(
        "S21.G00.62.005/CCH-12",
        *DISMISSAL_REASONS,
    ),
    Check(
        "S21.G00.62.006/CCH-15",
        "S21.G00.62",
        _on_or_before(date("S21.G00.40.001"), date("S21.G00.62.006"))
        & _on_or_before(date("S21.G00.62.006"), date("S21.G00.62.001")).fill_null(True),
    ),
    Check(
        "S21.G00.62.011/CCH-11",
        "S21.G00.62",
        iff(is_("S21.G00.62.002", "026"), "S21.G00.62.011"),
    ),
    required_for_reasons("S21.G00.62.013/CCH-11", "026", "114"),
    Check(
        "S21.G00.62.018/CCH-11",
        "S21.G00.62",
        iff(is_("S21.G00.62.002", "114"), "S21.G00.62.018"),
    ),
    # --- S21.G00.65 other suspension
    Check(
        "S21.G00.65.002/CCH-11",
        "S21.G00.65",
        _on_or_before(date("S21.G00.40.001"), date("S21.G00.65.002")),
    ),
    Check(
        "S21.G00.65.002/CCH-13",
        "S21.G00.65",
        _on_or_before(date("S21.G00.65.002"), CONTRACT_END),
        when=is_not("S21.G00.65.001", "998"),
    ),
    not_after_declared_month("S21.G00.65.002/SIG-12", "S21.G00.65.002"),
    in_order("S21.G00.65.003/CCH-11", "S21.G00.65.002", "S21.G00.65.003"),
    Check(
        "S21.G00.65.004/CCH-11",
        "S21.G00.65",
        iff(is_("S21.G00.65.001", "655", "674"), "S21.G00.65.004"),
    ),
    # --- S21.G00.70 affiliation prévoyance, S21.G00.73 dependants
    # Interim contracts may share an affiliation id under four conditions, not checked here:
    # their duplicates are let through rather than wrongly rejected.
    Unique(
        "S21.G00.70.012/CCH-11",
        "S21.G00.70",
        ("S21.G00.70.012",),
        within="individual_id",
        when=is_not("S21.G00.40.007", "03"),
        natures=("01",),
    ),
    Reference(
        "S21.G00.70.013/CCH-11",
        "S21.G00.70",
        "S21.G00.70.013",
        "S21.G00.15.005",
        within="establishment_id",
    ),
    Unique(
        "S21.G00.70.013/CCH-12",
        "S21.G00.70",
        ("S21.G00.70.004", "S21.G00.70.005", "S21.G00.70.013"),
        within="parent_id",
    ),
    not_after_declared_month("S21.G00.70.014/SIG-11", "S21.G00.70.014"),
    in_order("S21.G00.70.015/CCH-11", "S21.G00.70.014", "S21.G00.70.015"),
    not_after_declared_month("S21.G00.70.015/SIG-12", "S21.G00.70.015"),
    not_after_declared_month("S21.G00.73.004/SIG-11", "S21.G00.73.004"),
    Check("S21.G00.73.005/CCH-11", "S21.G00.73", plausible_birth_year("S21.G00.73.005")),
    Check(
        "S21.G00.73.007/CCH-11",
        "S21.G00.73",
        birth_department_existed(nir_department("S21.G00.73.007"), year("S21.G00.73.005")),
        when=pl.col("S21.G00.73.007").str.len_chars() == 13,
    ),
    Check(
        "S21.G00.73.007/CCH-12",
        "S21.G00.73",
        ~pl.col("S21.G00.73.007").str.contains("9{6}$"),
    ),
    in_order("S21.G00.73.011/CCH-11", "S21.G00.73.004", "S21.G00.73.011"),
    # --- S21.G00.71 complementary pension, S21.G00.72 wrongly declared pension
    Check(
        "S21.G00.71.002/CCH-12",
        "S21.G00.71",
        pl.col("pensions") == 1,
        when=pl.col("no_pension") > 0,
    ),
    Check(
        "S21.G00.71.002/SIG-11",
        "S21.G00.71",
        is_("S21.G00.40.016", "01"),
        when=is_("S21.G00.71.002", "CRPCEN"),
    ),
    Check(
        "S21.G00.71.002/SIG-14",
        "S21.G00.71",
        is_("S21.G00.71.002", "90000"),
        when=is_("S21.G00.40.020", "140"),
    ),
    Check(
        "S21.G00.71.003/SIG-11",
        "S21.G00.71",
        iff(is_("S21.G00.71.002", "IRCANTEC"), "S21.G00.71.003"),
    ),
    Check(
        "S21.G00.72.001/CCH-11",
        "S21.G00.72",
        pl.col("S21.G00.72.001") != pl.col("S21.G00.71.002"),
        when=is_not("S21.G00.71.002", "IRCANTEC"),
    ),
    Check(
        "S21.G00.72.002/CCH-11",
        "S21.G00.72",
        pl.col("S21.G00.72.002") != pl.col("S21.G00.71.003"),
    ),
    Check(
        "S21.G00.72.002/SIG-12",
        "S21.G00.72",
        iff(is_("S21.G00.72.001", "IRCANTEC"), "S21.G00.72.002"),
    ),
    # --- S21.G00.78 base, S21.G00.79 its components, S21.G00.81 cotisations
    Reference(
        "S21.G00.78.001/CCH-13",
        "S21.G00.70",
        "S21.G00.70.012",
        "S21.G00.78.005",
        within="individual_id",
        target_when=BASE_31,
        natures=("01",),
    ),
    Check("S21.G00.78.001/CCH-14", "S21.G00.78", ~BASE_31, natures=("07",)),
    in_order("S21.G00.78.003/CCH-12", "S21.G00.78.002", "S21.G00.78.003"),
    Check("S21.G00.78.003/CCH-15", "S21.G00.78", _on_or_before(date("S21.G00.78.003"), MONTH_END)),
    Check(
        "S21.G00.78.003/CCH-16",
        "S21.G00.78",
        year("S21.G00.78.002") == year("S21.G00.78.003"),
    ),
    Check(
        "S21.G00.78.003/SIG-11",
        "S21.G00.78",
        pl.col("S21.G00.78.002").str.slice(2, 6) == pl.col("S21.G00.78.003").str.slice(2, 6),
        when=BASE_31,
    ),
    Check(
        "S21.G00.78.004/CCH-11",
        "S21.G00.78",
        amount("S21.G00.78.004") == 0,
        when=BASE_31,
    ),
    Check("S21.G00.78.005/CCH-11", "S21.G00.78", iff(BASE_31, "S21.G00.78.005")),
    Reference(
        "S21.G00.78.005/CCH-11",
        "S21.G00.78",
        "S21.G00.78.005",
        "S21.G00.70.012",
        within="individual_id",
        when=BASE_31,
    ),
    regularisation_only_for_past_periods(
        "S21.G00.78.007/CCH-11", "S21.G00.78.007", "S21.G00.78.003"
    ),
    Check(
        "S21.G00.79.001/CCH-11",
        "S21.G00.78",
        pl.col("base_components") > 0,
        when=BASE_31,
    ),
    Check(
        "S21.G00.79.001/CCH-12",
        "S21.G00.79",
        is_("S21.G00.79.001", *PREVOYANCE_COMPONENTS) == BASE_31,
    ),
    Check(
        "S21.G00.79.001/CCH-13",
        "S21.G00.79",
        pl.col("nonzero_cotisations") == 0,
        when=is_("S21.G00.79.001", "23"),
    ),
    Check(
        "S21.G00.79.001/CCH-14",
        "S21.G00.79",
        is_("S21.G00.78.001", "03", "19"),
        when=is_("S21.G00.79.001", "01"),
    ),
    Unique(
        "S21.G00.79.001/CCH-16",
        "S21.G00.79",
        ("S21.G00.79.001",),
        within="parent_id",
        when=BASE_31 & is_("S21.G00.79.001", *SINGLE_COMPONENTS),
    ),
    Check(
        "S21.G00.79.001/CCH-17",
        "S21.G00.79",
        ~is_("S21.G00.79.001", "01"),
        when=BASE_31,
    ),
    Check(
        "S21.G00.79.001/SIG-18",
        "S21.G00.78",
        pl.col("base_components") == 1,
        when=pl.col("components_23") > 0,
    ),
    Check(
        "S21.G00.79.001/SIG-19",
        "S21.G00.79",
        amount("S21.G00.79.004") == 0,
        when=is_("S21.G00.79.001", "23"),
    ),
    regularisation_only_for_past_periods(
        "S21.G00.79.005/CCH-11", "S21.G00.79.005", "S21.G00.78.003"
    ),
    Check(
        "S21.G00.81.001/CCH-11",
        "S21.G00.78",
        pl.col("cotisations_ircantec") > 0,
        when=is_("S21.G00.78.001", "28"),
    ),
    Check("S21.G00.81.001/CCH-13", "S21.G00.81", BASE_31, when=COTISATION_059),
    Check(
        "S21.G00.81.001/CCH-15",
        "S21.G00.78",
        pl.col("cotisations_059") == 1,
        when=BASE_31,
    ),
    Check(
        "S21.G00.81.001/CCH-16",
        "S21.G00.81",
        present("S21.G00.81.003") & present("S21.G00.81.004"),
        when=is_("S21.G00.81.001", "018", "106"),
    ),
    Check("S21.G00.81.002/CCH-11", "S21.G00.81", absent("S21.G00.81.002"), when=COTISATION_059),
    Check(
        "S21.G00.81.003/CCH-11",
        "S21.G00.81",
        present("S21.G00.81.003"),
        when=is_("S21.G00.81.001", "060", "061"),
    ),
    Check("S21.G00.81.003/CCH-12", "S21.G00.81", absent("S21.G00.81.003"), when=COTISATION_059),
    Check("S21.G00.81.004/CCH-11", "S21.G00.81", present("S21.G00.81.004"), when=COTISATION_059),
    Check(
        "S21.G00.81.004/CCH-12",
        "S21.G00.81",
        present("S21.G00.81.004"),
        when=is_("S21.G00.81.001", "063", "064", "105", "131", "132"),
    ),
    Check(
        "S21.G00.81.004/CCH-13",
        "S21.G00.81",
        present("S21.G00.81.004"),
        when=is_("S21.G00.81.001", "060", "061"),
    ),
    Check("S21.G00.81.005/CCH-11", "S21.G00.81", absent("S21.G00.81.005"), when=COTISATION_059),
    regularisation_only_for_past_periods(
        "S21.G00.81.006/CCH-11", "S21.G00.81.006", "S21.G00.78.003"
    ),
    # --- blocks the insurer does not read, behind controls of its own it used to run
    in_order("S21.G00.51.002/CCH-11", "S21.G00.51.001", "S21.G00.51.002"),
    # --- issue 19: the controls the coverage table still listed as to do
    Check(
        "S21.G00.06.012/SIG-11",
        "S21.G00.06",
        present("S21.G00.06.012"),
        # A country code (06.010, never FR nor a French overseas code) puts the company abroad.
        when=present("S21.G00.06.010"),
    ),
    Check("S21.G00.20.008/CCH-15", "S21.G00.20", TO_PROVIDENT, when=present("S21.G00.20.008")),
    Check(
        "S21.G00.40.021/SIG-11",
        "S21.G00.40",
        present("S21.G00.40.021"),
        when=is_("S21.G00.40.007", "02", "03", "92") & is_("S21.G00.40.008", "99"),
    ),
    Check(
        "S21.G00.55.004/CCH-11",
        "S21.G00.55",
        # Periods numbered from year 0 (M: 12 a year, T: 4, S: 2, A: 1): the component's period
        # is at most the one after the last period over on the declared month's last day. An
        # E00 (exercice) period has no calendar to compare.
        (
            pl.col("S21.G00.55.004").str.slice(0, 4).cast(pl.Int32, strict=False) * PERIODS_A_YEAR
            + pl.when(PERIOD_KIND == "A")
            .then(1)
            .otherwise(pl.col("S21.G00.55.004").str.slice(5, 2).cast(pl.Int32, strict=False))
            <= date("S20.G00.05.005").dt.year().cast(pl.Int32) * PERIODS_A_YEAR
            + date("S20.G00.05.005").dt.month().cast(pl.Int32) * PERIODS_A_YEAR // 12
            + 1
        ),
        when=PERIOD_KIND.is_in(["M", "T", "S", "A"]),
        natures=MONTHLY,
    ),
    Check(
        "S21.G00.62.021/CCH-11",
        "S21.G00.62",
        absent("S21.G00.62.021"),
        when=is_("S21.G00.40.007", *NO_CDI_OFFER_CONTRACTS),
    ),
    Check(
        "S20.G00.05.002/CCH-11",
        "S20.G00.05",
        ~pl.col("declaration_ids").list.contains(pl.col("S20.G00.05.006")).fill_null(False),
        when=is_("S20.G00.05.002", "04"),
    ),
)

PLAN = make_plan(RULES, AGGREGATES)
# The controls implemented in code, by their official id: each a check of the file's context
# returning its findings, like `evaluate`.
IN_CODE = {base_period.CONTROL_ID: base_period.check}


def check(ctx: Context) -> list[pl.LazyFrame]:
    return [*evaluate(ctx, PLAN), *(found for coded in IN_CODE.values() for found in coded(ctx))]


def implemented() -> frozenset[str]:
    """The ids of the official controls a rule or code implements."""
    return frozenset(rule.control_id for rule in RULES) | IN_CODE.keys()
