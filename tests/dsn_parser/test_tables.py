"""Typed block tables, natural keys and declarations, on hand-written lines and real samples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from stdnum.fr import siren, siret

from dsn_parser import parse, parse_to_parquet, read
from tests.dsn_parser.dsn_text import declaration, dsn_bytes, envoi

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dsn"
MONTHLY = sorted((FIXTURES / "keuwa_dsn-parser_pseudonymized").glob("*.dsn"))
LOT = FIXTURES / "jikenlabs_open-neodes_sample_dsn_P25V01_FCTU_lot.dsn"
FICTIONAL = FIXTURES / "drolow_dsn-analyzer_exemple_P24V01_fictif.dsn"
NO_QUOTES = FIXTURES / "negative" / "neobloblo_opendsn_example_NONCONFORMANT_no_quotes.dsn"
XML = FIXTURES / "xml" / "ariane-xml_test_dsn_sample_FCTU.xml"

INDIVIDU = [("S21.G00.30.001", "1850575000001"), ("S21.G00.30.002", "D'ARTAGNAN")]


def _read_one(lines: list[tuple[str, str]]):
    [parsed] = read(dsn_bytes(envoi([lines])))
    return parsed


def test_columns_are_typed_from_the_norm() -> None:
    body = (
        declaration()
        + INDIVIDU
        + [
            ("S21.G00.40.001", "01012024"),
            ("S21.G00.40.009", "00042"),
            ("S21.G00.40.013", "151.67"),
            ("S21.G00.70.007", "02"),
            ("S21.G00.70.012", "7"),
        ]
    )
    parsed = _read_one(body)
    contrat = parsed.blocks["S21.G00.40"]
    assert contrat.schema["S21.G00.40.001"] == pl.Date()
    assert contrat.schema["S21.G00.40.009"] == pl.String()
    assert isinstance(contrat.schema["S21.G00.40.013"], pl.Decimal)
    assert contrat.row(0, named=True)["S21.G00.40.001"] == date(2024, 1, 1)
    assert contrat.row(0, named=True)["S21.G00.40.009"] == "00042"  # leading zeros kept
    assert contrat.row(0, named=True)["S21.G00.40.013"] == Decimal("151.67")
    affiliation = parsed.blocks["S21.G00.70"].row(0, named=True)
    assert affiliation["S21.G00.70.007"] == 2  # a count
    assert affiliation["S21.G00.70.012"] == "7"  # a technical id stays text
    month = parsed.declarations["month"].to_list()
    assert month == [date(2024, 3, 1)]


@pytest.mark.parametrize(
    ("declared", "amount"),
    [
        ("06.46", Decimal("6.46")),
        ("-1234567890.10", Decimal("-1234567890.10")),
        ("0.00", Decimal("0.00")),
        ("12", Decimal("12.00")),
        ("1.555", None),  # would be rounded: refused
        ("12,50", None),
        ("1e3", None),
    ],
)
def test_amounts_are_exact_decimals_or_null(declared: str, amount: Decimal | None) -> None:
    body = [*declaration(), ("S21.G00.20.001", "P1020"), ("S21.G00.20.005", "10.00")]
    body += [("S21.G00.55.001", declared)]
    parsed = _read_one(body)
    assert parsed.blocks["S21.G00.55"]["S21.G00.55.001"].to_list() == [amount]
    assert declared in parsed.lines["value"].to_list()  # the line keeps what was declared


@pytest.mark.parametrize("declared", ["31022024", "0102202", "2024-01-01", "01/01/24"])
def test_an_impossible_or_misshapen_date_is_null_in_the_table(declared: str) -> None:
    parsed = _read_one(declaration() + INDIVIDU + [("S21.G00.40.001", declared)])
    assert parsed.blocks["S21.G00.40"]["S21.G00.40.001"].to_list() == [None]


def test_rubric_unknown_to_the_norm_is_kept_as_text() -> None:
    parsed = _read_one([*declaration(), ("S21.G00.11.777", "X")])
    assert parsed.blocks["S21.G00.11"]["S21.G00.11.777"].to_list() == ["X"]


def test_natural_keys_of_individual_descendants_and_adhesion() -> None:
    ntt_individu = [("S21.G00.30.002", "SANS NIR"), ("S21.G00.30.020", "NTT123456789")]
    body = [
        *declaration(),
        ("S21.G00.15.001", "CONTRAT-A"),
        ("S21.G00.15.002", "P1020"),
        ("S21.G00.15.005", "1"),
        *INDIVIDU,
        ("S21.G00.40.001", "01012024"),
        ("S21.G00.40.009", "C1"),
        ("S21.G00.70.012", "1"),
        ("S21.G00.70.013", "1"),
        ("S21.G00.50.001", "31032024"),
        ("S21.G00.78.001", "31"),
        ("S21.G00.81.001", "059"),
        *ntt_individu,
        ("S21.G00.40.001", "15022024"),
        ("S21.G00.40.009", "C2"),
    ]
    parsed = _read_one(body)
    contrats = parsed.blocks["S21.G00.40"]
    assert contrats["employee_key"].to_list() == ["1850575000001", "NTT:NTT123456789"]
    assert contrats["employment_contract_key"].to_list() == [
        "1850575000001|01012024|C1",
        "NTT:NTT123456789|15022024|C2",
    ]
    affiliation = parsed.blocks["S21.G00.70"].row(0, named=True)
    assert affiliation["employment_contract_key"] == "1850575000001|01012024|C1"
    cotisation = parsed.blocks["S21.G00.81"].row(0, named=True)
    assert (cotisation["employee_key"], cotisation["siret"]) == ("1850575000001", "12345678200013")
    assert "employment_contract_key" not in parsed.blocks["S21.G00.81"].columns
    adhesion = parsed.blocks["S21.G00.15"].row(0, named=True)
    assert adhesion["oc_contract_key"] == "P1020||CONTRAT-A"
    assert adhesion["S21.G00.15.005"] == "1"  # technical id: data, not a key
    assert "siren" not in parsed.blocks["S10.G00.00"].columns


def test_every_monthly_sample_is_read_with_keys_ready_for_joins() -> None:
    assert len(MONTHLY) == 27
    keyed_blocks_seen: set[str] = set()
    for parsed in (file for path in MONTHLY for file in read(path)):
        assert parsed.encoding == "iso-8859-1"
        assert parsed.lines["rubric"].null_count() == 0
        [row] = parsed.declarations.rows(named=True)
        assert siren.is_valid(row["siren"]) and siret.is_valid(row["siret"])
        assert row["siret"].startswith(row["siren"])
        individus = parsed.blocks["S21.G00.30"]
        assert individus["employee_key"].to_list() == individus["S21.G00.30.001"].to_list()
        for block in ("S21.G00.40", "S21.G00.70", "S21.G00.78", "S21.G00.79", "S21.G00.81"):
            if block not in parsed.blocks:
                continue
            keyed_blocks_seen.add(block)
            table = parsed.blocks[block]
            assert table["employee_key"].null_count() == 0, (parsed.source, block)
            assert table["siret"].unique().to_list() == [row["siret"]]
        contrats = parsed.blocks["S21.G00.40"]
        assert contrats["employment_contract_key"].null_count() == 0
        if "S21.G00.15" in parsed.blocks:
            keyed_blocks_seen.add("S21.G00.15")
            adhesions = parsed.blocks["S21.G00.15"]
            assert adhesions["oc_contract_key"].str.starts_with("P1020|").all()
        amounts = parsed.blocks["S21.G00.81"]["S21.G00.81.004"]
        assert isinstance(amounts.dtype, pl.Decimal) and amounts.null_count() == 0
    assert len(keyed_blocks_seen) == 6


def test_the_monthly_samples_are_accepted() -> None:
    for parsed in (file for path in MONTHLY for file in parse(path)):
        assert not parsed.rejected, parsed.diagnostics.filter(pl.col("severity") == "error")


def test_the_insurer_lot_yields_three_envois_and_reports_its_scar() -> None:
    [parsed] = parse(LOT)
    assert parsed.encoding == "utf-8" and parsed.norm == "P25V01"
    assert parsed.declarations.height == 3
    assert parsed.declarations["envoi_id"].n_unique() == 3
    assert set(parsed.declarations["nature"]) == {"07"}
    scarred = parsed.lines.filter(pl.col("value").str.contains("\ufffd"))
    assert scarred.height == 1
    warnings = parsed.diagnostics.filter(pl.col("code") == "ENC-REPLACEMENT-CHAR")
    assert warnings["line"].to_list() == scarred["line"].to_list()
    assert set(warnings["severity"]) == {"warning"}
    for block in ("S05.G51.00", "S06.G51.00", "S96.G51.00", "S95.G51.00", "S10.G00.95"):
        assert block in parsed.blocks
    assert parsed.blocks["S21.G00.06"]["S21.G00.06.903"].null_count() == 0


def test_the_fictional_file_is_read_despite_its_errors() -> None:
    [parsed] = parse(FICTIONAL)
    assert parsed.declarations.height == 1
    assert parsed.declarations["fraction"].to_list() == ["001"]
    assert parsed.blocks["S90.G00.90"]["S90.G00.90.001"].to_list() == [150]
    assert parsed.lines.height == 165


def test_the_file_without_quotes_keeps_every_line_with_null_values() -> None:
    [parsed] = parse(NO_QUOTES)
    text = NO_QUOTES.read_text(encoding="iso-8859-1").splitlines()
    assert parsed.lines.height == len(text)
    assert parsed.lines["value"].null_count() == len(text)
    assert parsed.lines["raw"].to_list() == text
    assert parsed.blocks == {}
    assert parsed.rejected


def test_an_xml_file_is_an_unreadable_dsn_not_a_crash() -> None:
    [parsed] = parse(XML)
    assert parsed.declarations.is_empty() and parsed.rejected
    assert "FILE-UNREADABLE" in parsed.diagnostics["code"].to_list()


def test_parquet_streaming_writes_the_same_tables_as_parse(tmp_path: Path) -> None:
    [parsed] = parse(LOT)
    summary = parse_to_parquet(LOT, tmp_path, chunk_bytes=300)  # a batch per envoi
    assert summary.files[0].declarations == 3
    for block, table in parsed.blocks.items():
        assert pl.read_parquet(tmp_path / f"{block}.parquet").equals(table), block
    assert pl.read_parquet(tmp_path / "declarations.parquet").equals(parsed.declarations)
    written = pl.read_parquet(tmp_path / "diagnostics.parquet")
    assert (
        written.select("line", "code")
        .sort("line", "code")
        .equals(parsed.diagnostics.select("line", "code").sort("line", "code"))
    )


def test_parquet_streaming_writes_whole_row_groups_not_one_per_batch(tmp_path: Path) -> None:
    parse_to_parquet(LOT, tmp_path, chunk_bytes=300)  # a batch per envoi
    for block in ("S10.G00.00", "S20.G00.05"):
        assert pq.ParquetFile(tmp_path / f"{block}.parquet").metadata.num_row_groups == 1


def test_parquet_streaming_keeps_every_row_when_a_later_batch_brings_a_new_column(
    tmp_path: Path,
) -> None:
    unknown = ("S21.G00.30.500", "EN PLUS")
    content = dsn_bytes(
        envoi([declaration() + INDIVIDU]) + envoi([declaration() + INDIVIDU + [unknown]])
    )
    [parsed] = parse(content)
    parse_to_parquet(content, tmp_path, name="deux-envois.dsn", chunk_bytes=100)
    written = pl.read_parquet(tmp_path / "S21.G00.30.parquet")
    assert written.get_column(unknown[0]).to_list() == [None, unknown[1]]
    assert written.equals(parsed.blocks["S21.G00.30"])
