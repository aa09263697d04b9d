"""Validation of the real and reference sample files kept in tests/fixtures/dsn (see SOURCES.txt
there for what each file is and its known defects)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from dsn_parser import parse
from dsn_parser.model import DeclarationStatus, ParsedFile
from dsn_parser.validation import CATALOGUE

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dsn"
MONTHLY = sorted((SAMPLES / "keuwa_dsn-parser_pseudonymized").glob("*.dsn"))
FICTIONAL = SAMPLES / "drolow_dsn-analyzer_exemple_P24V01_fictif.dsn"
LOT = SAMPLES / "jikenlabs_open-neodes_sample_dsn_P25V01_FCTU_lot.dsn"
NON_CONFORMANT = SAMPLES / "negative" / "neobloblo_opendsn_example_NONCONFORMANT_no_quotes.dsn"


def only(path: Path) -> ParsedFile:
    [parsed] = parse(path)
    return parsed


def errors(parsed: ParsedFile) -> pl.DataFrame:
    return parsed.diagnostics.filter(pl.col("severity") == "error")


@pytest.mark.parametrize(
    "path", [FICTIONAL, LOT, NON_CONFORMANT, MONTHLY[0]], ids=lambda p: p.stem[:20]
)
def test_every_code_reported_is_in_the_catalogue(path: Path) -> None:
    codes = set(only(path).diagnostics["code"])
    assert codes and codes <= set(CATALOGUE)


def test_there_are_27_monthly_files() -> None:
    assert len(MONTHLY) == 27


@pytest.mark.parametrize("path", MONTHLY, ids=[path.name[14:24] for path in MONTHLY])
def test_real_monthly_files_are_accepted(path: Path) -> None:
    parsed = only(path)
    assert errors(parsed).select("line", "code", "message").to_dicts() == []
    assert parsed.declarations["status"].to_list() == [DeclarationStatus.ACCEPTED_WITH_ANOMALIES]
    # P19V01-P21V01 have no dictionary: one warning per envoi says which one was used.
    fallback = parsed.diagnostics.filter(pl.col("code") == "NORM-FALLBACK")
    assert fallback["rubric"].to_list() == ["S10.G00.00.006"]
    # The only other warnings are rubrics made mandatory after the file's year.
    others = parsed.diagnostics.filter(pl.col("code") != "NORM-FALLBACK")
    assert set(others["code"]) <= {"STR-MANDATORY"}
    assert set(others["rubric"]) <= {"S21.G00.11.022", "S21.G00.50.013"}


def test_the_fictional_file_reports_its_deliberate_errors_precisely() -> None:
    parsed = only(FICTIONAL)
    found = {(row["line"], row["rubric"], row["code"]) for row in errors(parsed).to_dicts()}
    assert (11, "S20.G00.05.003", "CSL-LENGTH") in found  # fraction '001'
    assert (164, "S90.G00.90.001", "S90-LINE-COUNT") in found  # '150' for 165 lines
    [count] = parsed.diagnostics.filter(pl.col("code") == "S90-LINE-COUNT")["message"]
    assert "150" in count and "165" in count
    assert parsed.declarations["status"].to_list() == [DeclarationStatus.REJECTED]


def test_the_non_conformant_file_is_rejected_line_by_line() -> None:
    parsed = only(NON_CONFORMANT)
    assert parsed.declarations.is_empty() and parsed.rejected
    codes = parsed.diagnostics["code"].to_list()
    assert codes.count("LEX-UNQUOTED") == 23  # every line: values are not quoted
    assert "FILE-UNREADABLE" in codes
    # The lines hold NIRs and names: none may leak into a message.
    assert not parsed.diagnostics["message"].str.contains("1850512345678|DUPONT").any()


def test_the_insurer_lot_yields_three_envois_and_reports_its_transcoding_scar() -> None:
    parsed = only(LOT)
    assert parsed.declarations.height == 3
    [scar] = parsed.diagnostics.filter(pl.col("code") == "ENC-REPLACEMENT-CHAR").to_dicts()
    assert (scar["rubric"], scar["severity"]) == ("S21.G00.40.006", "warning")
    # Each envoi's total counts its service rubrics (S10.G00.95, x.9xx): they are all right.
    assert not parsed.diagnostics["code"].str.starts_with("S90").any()
    # Service rubrics and the lot envelope are never reported.
    assert not parsed.diagnostics["code"].is_in(["STR-UNKNOWN-RUBRIC", "STR-ORDER"]).any()


def test_the_lot_anonymised_identifiers_reject_its_declarations() -> None:
    """The anonymised NIR '1234567890123' (month 45) is an error on the one individual of each
    FCTU; the anonymised SIREN 987654321 and sender SIREN 123456789 fail their check digit
    (the SIRETs built on them are not reported a second time).
    An FCTU whose only employee cannot be identified carries nothing usable: rejected."""
    parsed = only(LOT)
    nir = errors(parsed).filter(pl.col("rubric") == "S21.G00.30.001")
    assert nir["code"].to_list() == ["CSL-REGEXP"] * 3
    assert not nir["message"].str.contains("1234567890123").any()
    assert set(errors(parsed)["code"]) == {"CSL-REGEXP", "CSL-SIREN"}
    assert parsed.declarations["status"].to_list() == [DeclarationStatus.REJECTED] * 3


def test_a_signal_whose_only_individual_is_rejected_is_rejected() -> None:
    """The lot with valid SIREN/SIRET (check digits restored): only the NIR error is left, on
    the one individual of each end-of-contract signal; nothing usable remains: rejected."""
    text = LOT.read_bytes()
    for rubric, value in [
        (b"S21.G00.06.001", b"732829320"),
        (b"S21.G00.11.001", b"00017"),  # SIRET 73282932000017
        (b"S10.G00.01.001", b"404833048"),
        (b"S10.G00.01.002", b"00022"),  # SIRET 40483304800022
    ]:
        text = re.sub(
            rb"(?m)^" + re.escape(rubric) + rb",'[0-9]+'", rubric + b",'" + value + b"'", text
        )
    [parsed] = parse(text)
    assert set(errors(parsed)["rubric"]) == {"S21.G00.30.001"}
    assert parsed.declarations["status"].to_list() == [DeclarationStatus.REJECTED] * 3


def test_the_lot_is_an_oc_copy_whose_absent_blocks_are_only_warnings() -> None:
    """The concentrator filters what it sends the OC (no remunerations, no complementary
    pension, no currency): absences there are warnings, not rejections."""
    parsed = only(LOT)
    presence = parsed.diagnostics.filter(
        pl.col("code").is_in(["STR-MANDATORY", "STR-CARDINALITY-MIN"])
    )
    assert presence.height > 0
    assert set(presence["severity"]) == {"warning"}
