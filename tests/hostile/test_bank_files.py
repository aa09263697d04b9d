"""Bank files: account check digits, strict CFONB record length, XML entities that would empty
the remittance text allocation reads."""

from __future__ import annotations

from pathlib import Path

from payment_files import Severity, read_payment_file
from tests.hostile.corpus import camt_with_entity

PAYMENTS = Path(__file__).parents[1] / "fixtures" / "payments"
CAMT054 = PAYMENTS / "camt054" / "oca__test-camt054.xml"
CFONB_CLASSIC = PAYMENTS / "cfonb120" / "oca_l10n-france__cfonb_classic.cfo"
VALID_IBAN = b"NL91ABNA0417164300"


def _codes(data: bytes) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for diagnostic in read_payment_file(data).diagnostics:
        found.setdefault(diagnostic.code, []).append(diagnostic.message)
    return found


def test_an_iban_with_a_wrong_key_is_reported_without_showing_it() -> None:
    camt = CAMT054.read_bytes()
    assert "IBAN_INVALIDE" in _codes(camt)  # the debtor's NL46… has a wrong key
    fixed = camt.replace(b"NL46ABNA0499998748", VALID_IBAN)
    assert "IBAN_INVALIDE" not in _codes(fixed)
    [message] = _codes(camt)["IBAN_INVALIDE"]
    assert "du débiteur" in message and "0499998748" not in message


def test_an_account_iban_with_a_wrong_key_is_reported() -> None:
    camt = CAMT054.read_bytes().replace(b"NL46ABNA0499998748", VALID_IBAN)
    assert "IBAN_INVALIDE" not in _codes(camt)
    wrong_key = camt.replace(b"NL77ABNA0574908765", b"NL78ABNA0574908765")
    [message] = _codes(wrong_key)["IBAN_INVALIDE"]
    assert "du compte du relevé" in message


def test_a_malformed_debtor_bic_is_reported() -> None:
    camt = CAMT054.read_bytes().replace(b"<ClrSysMmbId>", b"<BIC>BN1AFRPP</BIC><ClrSysMmbId>", 1)
    assert "BIC_INVALIDE" in _codes(camt)
    well_formed = camt.replace(b"BN1AFRPP", b"BNPAFRPP")
    assert "BIC_INVALIDE" not in _codes(well_formed)


def test_a_cfonb_record_of_119_characters_is_rejected() -> None:
    lines = CFONB_CLASSIC.read_text().splitlines()
    assert lines[1].startswith("04") and len(lines[1]) == 120
    lines[1] = lines[1][:50] + lines[1][51:]  # one character lost in the middle
    result = read_payment_file("\n".join(lines).encode())
    rejected = [d for d in result.diagnostics if d.code == "CFONB_LONGUEUR" and d.line == 2]
    assert rejected and rejected[0].severity is Severity.ERROR
    assert "119 caractères" in rejected[0].message


def test_spaces_past_the_120th_character_are_read_with_a_warning() -> None:
    lines = CFONB_CLASSIC.read_text().splitlines()
    lines[1] += "   "
    result = read_payment_file("\n".join(lines).encode())
    assert "CFONB_LONGUEUR_ESPACES" in [d.code for d in result.diagnostics]
    assert result.records_rejected == 0


def test_an_xml_entity_in_a_remittance_says_allocation_may_be_impossible() -> None:
    assert "XML_ENTITE" not in _codes(CAMT054.read_bytes())
    [message] = _codes(camt_with_entity())["XML_ENTITE"]
    assert "lettrage peut être impossible" in message
