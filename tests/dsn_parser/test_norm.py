"""The committed norm tables: what the reader and the validator rely on in them."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from dsn_parser.norm import KNOWN_VERSIONS, USAGE_NATURES, load_norm, resolve_norm
from dsn_parser.norm.generate import recover_usages

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dsn"
LOT_FILE = FIXTURES / "jikenlabs_open-neodes_sample_dsn_P25V01_FCTU_lot.dsn"

# The block tree of DOMAIN.md §2 (child -> parent), plus the envoi skeleton.
DOMAIN_TREE = {
    "S10.G00.00": None,
    "S10.G00.01": "S10.G00.00",
    "S10.G00.02": "S10.G00.00",
    "S20.G00.05": "S10.G00.00",
    "S20.G00.07": "S20.G00.05",
    "S21.G00.06": "S20.G00.05",
    "S21.G00.11": "S21.G00.06",
    "S21.G00.15": "S21.G00.11",
    "S21.G00.20": "S21.G00.11",
    "S21.G00.55": "S21.G00.20",
    "S21.G00.22": "S21.G00.11",
    "S21.G00.23": "S21.G00.22",
    "S21.G00.30": "S21.G00.11",
    "S21.G00.40": "S21.G00.30",
    "S21.G00.60": "S21.G00.40",
    "S21.G00.66": "S21.G00.60",
    "S21.G00.62": "S21.G00.40",
    "S21.G00.63": "S21.G00.62",
    "S21.G00.65": "S21.G00.40",
    "S21.G00.70": "S21.G00.40",
    "S21.G00.73": "S21.G00.70",
    "S21.G00.71": "S21.G00.40",
    "S21.G00.50": "S21.G00.30",
    "S21.G00.51": "S21.G00.50",
    "S21.G00.52": "S21.G00.50",
    "S21.G00.54": "S21.G00.50",
    "S21.G00.78": "S21.G00.50",
    "S21.G00.79": "S21.G00.78",
    "S21.G00.81": "S21.G00.78",
    "S90.G00.90": "S10.G00.00",
}

SERVICE_TREE = {
    "S05.G51.00": None,
    "S06.G51.00": "S05.G51.00",
    "S96.G51.00": "S06.G51.00",
    "S95.G51.00": "S05.G51.00",
    "S10.G00.95": "S10.G00.00",
    "S20.G00.96": "S20.G00.05",
    "S20.G51.00": "S20.G00.05",
}

versions = pytest.mark.parametrize("version", KNOWN_VERSIONS)


@versions
def test_block_parents_follow_the_domain_tree(version: str) -> None:
    norm = load_norm(version)
    assert {block: norm.parent_of[block] for block in DOMAIN_TREE} == DOMAIN_TREE


@versions
def test_a_cotisation_climbs_to_the_envoi(version: str) -> None:
    assert load_norm(version).ancestors("S21.G00.81") == (
        "S21.G00.78",
        "S21.G00.50",
        "S21.G00.30",
        "S21.G00.11",
        "S21.G00.06",
        "S20.G00.05",
        "S10.G00.00",
    )


@versions
def test_every_parent_is_a_known_block_and_every_rubric_in_one(version: str) -> None:
    norm = load_norm(version)
    assert {p for p in norm.parent_of.values() if p is not None} <= set(norm.parent_of)
    assert set(norm.rubrics["block"]) <= set(norm.parent_of)
    assert (norm.rubrics["rubric"].str.slice(0, 10) == norm.rubrics["block"]).all()


@versions
def test_cardinalities(version: str) -> None:
    blocks = load_norm(version).blocks
    occurs = {
        row["block"]: (row["min_occurs"], row["max_occurs"]) for row in blocks.iter_rows(named=True)
    }
    assert occurs["S21.G00.11"] == (1, 1)
    assert occurs["S21.G00.40"] == (1, None)  # unbounded
    assert occurs["S21.G00.62"] == (0, 1)
    assert occurs["S21.G00.70"] == (0, None)


@versions
def test_service_blocks_are_known_with_their_parents(version: str) -> None:
    norm = load_norm(version)
    assert {block: norm.parent_of[block] for block in SERVICE_TREE} == SERVICE_TREE
    origins = dict(zip(norm.blocks["block"], norm.blocks["origin"], strict=True))
    assert {origins[block] for block in SERVICE_TREE} == {"service"}
    assert {origins[block] for block in DOMAIN_TREE} == {"dictionary"}


@versions
def test_service_rubrics_are_known_and_recognised(version: str) -> None:
    norm = load_norm(version)
    for rubric in ("S10.G00.95.900", "S20.G00.96.902", "S21.G00.06.903", "S21.G00.11.904"):
        assert rubric in norm.rubric_label
        assert norm.is_service_rubric(rubric)
    assert norm.is_service_rubric("S21.G00.06.907")  # a platform's 9xx not listed yet
    assert norm.is_service_rubric("S20.G51.00.001")
    assert not norm.is_service_rubric("S21.G00.30.001")
    assert not norm.is_service_rubric("S21.G00.95.001")  # a dictionary block numbered 95


def test_every_rubric_of_the_insurer_lot_sample_is_known() -> None:
    rubrics = {
        line.split(",", 1)[0]
        for line in LOT_FILE.read_text(encoding="latin-1").splitlines()
        if line.strip()
    }
    norm, warning = resolve_norm("P25V01")
    assert warning is None
    assert sorted(rubrics - set(norm.rubric_label)) == []


@versions
def test_nir_format(version: str) -> None:
    nir = load_norm(version).pattern("S21.G00.30.001")
    assert nir is not None
    assert nir.fullmatch("1850775123456")
    assert nir.fullmatch("285072A123456")  # born in Corsica
    assert not nir.fullmatch("1234567890123")  # birth month 45
    assert not nir.fullmatch("3850775123456")  # sex 3
    assert not nir.fullmatch("18507751234")  # too short


@versions
def test_amount_and_date_formats(version: str) -> None:
    norm = load_norm(version)
    natures = dict(zip(norm.rubrics["rubric"], norm.rubrics["nature"], strict=True))
    assert natures["S21.G00.81.004"] == "decimal"
    assert natures["S21.G00.40.001"] == "date"
    # A birth date may be partly unknown ("99" day or month): it cannot be typed as a date.
    assert natures["S21.G00.30.006"] == "alphanumeric"
    assert natures["S20.G00.05.001"] == "enumeration"
    amount = norm.pattern("S21.G00.81.004")
    assert amount is not None
    assert amount.fullmatch("-12.50") and amount.fullmatch("06.46")
    assert not amount.fullmatch("12,50") and not amount.fullmatch("12.5")


@versions
def test_every_regexp_compiles(version: str) -> None:
    regexps = load_norm(version).rubrics["regexp"].drop_nulls()
    assert len(regexps) > 100
    for regexp in regexps:
        re.compile(regexp)


@versions
def test_declaration_natures(version: str) -> None:
    norm = load_norm(version)
    codes = norm.rubrics.filter(pl.col("rubric") == "S20.G00.05.001")["codes"].item().split("|")
    assert {"01", "04", "05", "07", "08", "09"} <= set(codes)
    assert "02" not in codes
    assert ("10" in codes) == (version == "P26V01")  # signalement DPAE, P26 only
    labels = norm.codes.filter(pl.col("rubric") == "S20.G00.05.001")
    assert set(labels["code"]) == set(codes)
    assert "Reprise" in labels.filter(pl.col("code") == "05")["label"].item()


@versions
def test_norm_version_code_is_the_version_itself(version: str) -> None:
    codes = load_norm(version).rubrics.filter(pl.col("rubric") == "S10.G00.00.006")["codes"]
    assert codes.item() == version


@versions
def test_usages_per_declaration_nature(version: str) -> None:
    rubrics = load_norm(version).rubrics
    usage_columns = [f"usage_{nature}" for nature in USAGE_NATURES]
    family_name = rubrics.filter(pl.col("rubric") == "S21.G00.30.002").row(0, named=True)
    assert {family_name[column] for column in usage_columns} == {"O"}
    sex = rubrics.filter(pl.col("rubric") == "S21.G00.30.005").row(0, named=True)
    assert sex["usage_01"] == "C" and sex["usage_04"] == "I"
    used = rubrics.select(usage_columns).unpivot()["value"].drop_nulls()
    assert set(used) <= {"O", "C", "F", "I", "N"}


def test_resolve_known_version_has_no_warning() -> None:
    norm, warning = resolve_norm("P25V01")
    assert (norm.version, warning) == ("P25V01", None)


@pytest.mark.parametrize(
    ("declared", "used"),
    [("P19V01", "P24V01"), ("P23V01", "P24V01"), ("P27V01", "P26V01"), ("P25V02", "P25V01")],
)
def test_resolve_unknown_version_falls_back_to_the_nearest(declared: str, used: str) -> None:
    norm, warning = resolve_norm(declared)
    assert norm.version == used
    assert warning == (
        f"Norme {declared} inconnue : contrôles selon {used}, la version connue la plus proche."
    )


@pytest.mark.parametrize("declared", [None, "", "  ", "n'importe quoi"])
def test_resolve_missing_or_garbage_version_uses_the_latest(declared: str | None) -> None:
    norm, warning = resolve_norm(declared)
    assert norm.version == KNOWN_VERSIONS[-1]
    assert warning is not None and KNOWN_VERSIONS[-1] in warning


def test_load_norm_accepts_only_exact_known_versions() -> None:
    with pytest.raises(KeyError):
        load_norm("P20V01")


def test_loading_is_cached_and_a_norm_can_key_a_cache() -> None:
    assert load_norm("P24V01") is load_norm("P24V01")
    assert resolve_norm("P21V01")[0] is load_norm("P24V01")
    assert {load_norm("P24V01"): 1}[resolve_norm("P22V01")[0]] == 1


def test_generator_reads_usage_lines_of_the_cahier_even_wrapped() -> None:
    cahier = "\n".join(
        [
            "S21.G00.40.053 Nature du poste C I I I C C",
            "S21.G00.40.054[FP] Quotité de travail de référence dans l’hypothèse ",
            "d’un poste à temps completC I I I C C",
            "S21.G00.40.055 Taux de travail à temps partiel",  # usages lost
            "S21.G00.40.056 Code catégorie de service C I I I C C",
            "S21.G00.40.057 Mentionné deux fois O O O O O O",
            "S21.G00.40.057 Mentionné deux fois F F F F F F",  # the two lines disagree
        ]
    )
    wanted = [f"S21.G00.40.{n:03d}" for n in range(53, 58)]
    assert recover_usages(cahier, wanted) == {
        "S21.G00.40.053": dict(zip(USAGE_NATURES, "CIIICC", strict=True)),
        "S21.G00.40.054": dict(zip(USAGE_NATURES, "CIIICC", strict=True)),
        "S21.G00.40.056": dict(zip(USAGE_NATURES, "CIIICC", strict=True)),
    }
