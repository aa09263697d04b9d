"""Property tests: the reader never raises and never loses a record silently; CFONB signed
amounts read back as the brochure encodes them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payment_files import FileKind, Severity, read_payment_file
from payment_files.cfonb import AMOUNT_WIDTH, decode_amount

PAYMENTS = Path(__file__).parents[1] / "fixtures" / "payments"
SAMPLE_FILES = sorted(
    p
    for folder in ("camt053", "camt054", "pain", "cfonb120")
    for p in (PAYMENTS / folder).iterdir()
)
CFONB_FILES = sorted((PAYMENTS / "cfonb120").iterdir())


def _no_internal_error(data: bytes) -> None:
    result = read_payment_file(data)
    assert "ERREUR_INTERNE" not in [d.code for d in result.diagnostics], result.diagnostics
    for diagnostic in result.diagnostics:
        assert diagnostic.code and diagnostic.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_give_diagnostics_never_exceptions(data: bytes) -> None:
    _no_internal_error(data)


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"<?xml version='1.0'?>", b"01", b"04", b"<Document>"]),
    body=st.text(max_size=400),
)
def test_text_that_looks_like_a_format_gives_diagnostics(prefix: bytes, body: str) -> None:
    _no_internal_error(prefix + body.encode("utf-8"))


@settings(max_examples=150, deadline=None)
@given(sample=st.sampled_from(SAMPLE_FILES), cut=st.floats(min_value=0, max_value=1))
def test_truncated_samples_give_diagnostics_never_exceptions(sample: Path, cut: float) -> None:
    data = sample.read_bytes()
    truncated = data[: int(len(data) * cut)]
    _no_internal_error(truncated)
    if sample.suffix == ".xml" and truncated.strip() and len(truncated) < len(data.rstrip()):
        codes = [d.code for d in read_payment_file(truncated).diagnostics]
        assert "XML_MALFORME" in codes


@settings(max_examples=200, deadline=None)
@given(
    sample=st.sampled_from(CFONB_FILES),
    position=st.floats(min_value=0, max_value=1, exclude_max=True),
    replacement=st.sampled_from(list("0123456789{}ABJR X-é/")),
)
def test_corrupted_cfonb_movement_is_read_or_reported(
    sample: Path, position: float, replacement: str
) -> None:
    lines = [line for line in sample.read_text().splitlines() if line.strip()]
    flat = "\n".join(lines)
    index = int(len(flat) * position)
    if flat[index] == "\n":
        return
    corrupted = flat[:index] + replacement + flat[index + 1 :]
    result = read_payment_file(corrupted.encode("utf-8"))
    if result.kind is not FileKind.CFONB120:  # not recognisable any more: the file is refused
        assert not result.ok and not result.transactions
        return
    movement_lines = [
        number
        for number, line in enumerate(corrupted.splitlines(), start=1)
        if line.startswith("04")
    ]
    rejected_lines = {d.line for d in result.diagnostics if d.severity is Severity.ERROR}
    # every movement record is either a transaction or an error on its line: never dropped
    read_lines = {tx.line for tx in result.transactions}
    assert set(movement_lines) == read_lines | (set(movement_lines) & rejected_lines)
    assert read_lines.isdisjoint(rejected_lines)
    assert result.records_rejected == len(
        [d for d in result.diagnostics if d.severity is Severity.ERROR]
    )


def _amount_zone(units: int) -> str:
    """`units` (the amount in its smallest unit) as a CFONB signed amount zone, written here
    from the brochure's rule so the reader is checked against an encoder it does not share: 14
    digits, the last one replaced by `{`, A–I (positive 0–9) or `}`, J–R (negative 0–9)."""
    digits = f"{abs(units):0{AMOUNT_WIDTH}d}"
    last = ("}JKLMNOPQR" if units < 0 else "{ABCDEFGHI")[int(digits[-1])]
    return digits[:-1] + last


@given(
    decimals=st.integers(min_value=0, max_value=5),
    units=st.integers(min_value=-(10**AMOUNT_WIDTH - 1), max_value=10**AMOUNT_WIDTH - 1),
)
def test_cfonb_amount_decodes_what_it_encodes(decimals: int, units: int) -> None:
    assert decode_amount(_amount_zone(units), decimals) == Decimal(units).scaleb(-decimals)


@pytest.mark.parametrize(
    ("text", "decimals", "amount"),
    [
        ("0000000010401G", 2, Decimal("1040.17")),  # OCA classic: first credit
        ("0000000000322J", 2, Decimal("-32.21")),  # pennylane: SEPA direct debit
        ("0000000050000}", 2, Decimal("-5000.00")),  # silarhi: transfer sent
        ("0000000000000{", 2, Decimal("0.00")),
        ("00000000001904}", 2, None),  # 15 characters: not an amount
        ("0000000001904?", 2, None),
        ("00000 00001904", 2, None),
    ],
)
def test_cfonb_amounts_read_from_the_samples(
    text: str, decimals: int, amount: Decimal | None
) -> None:
    if amount is None:
        with pytest.raises(ValueError):
            decode_amount(text, decimals)
    else:
        assert decode_amount(text, decimals) == amount


XML_FILES = [p for p in SAMPLE_FILES if p.suffix == ".xml"]


@settings(max_examples=200, deadline=None)
@given(
    sample=st.sampled_from(XML_FILES),
    position=st.floats(min_value=0, max_value=1, exclude_max=True),
    replacement=st.sampled_from(["", "x", "-", "1", ".", "<", " ", "DBIT", "é"]),
)
def test_corrupted_xml_samples_give_diagnostics_never_exceptions(
    sample: Path, position: float, replacement: str
) -> None:
    text = sample.read_text(encoding="utf-8")
    index = int(len(text) * position)
    _no_internal_error((text[:index] + replacement + text[index + 1 :]).encode("utf-8"))
