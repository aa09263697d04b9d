"""Each validation control, positive and negative, on small hand-written DSN files.

The baseline (`monthly_dsn.monthly`) is a complete monthly DSN (P24V01) that a national
validator would accept. Every negative test changes one thing and checks the diagnostic a data
steward would get (code, line, rubric, severity).
"""

from __future__ import annotations

import polars as pl
import pytest

from dsn_parser import parse
from dsn_parser.model import DeclarationStatus
from tests.dsn_parser.monthly_dsn import (
    findings,
    line_of,
    monthly,
    render,
    replaced,
    status,
    validated,
    without,
)


def test_a_conformant_monthly_dsn_has_no_diagnostic_and_is_accepted() -> None:
    parsed = validated(monthly())
    assert parsed.diagnostics.select("line", "code", "message").to_dicts() == []
    assert status(parsed) == DeclarationStatus.ACCEPTED


# --- lexing and transcoding -------------------------------------------------------------------


def test_an_unquoted_value_is_reported_and_never_shows_the_line() -> None:
    data = render(monthly()).replace(b"S21.G00.30.002,'MARTIN'", b"S21.G00.30.002,MARTIN")
    [parsed] = parse(data)
    [found] = findings(parsed, "LEX-UNQUOTED")
    assert found["line"] == line_of(monthly(), "S21.G00.30.002")
    assert found["rubric"] == "S21.G00.30.002"
    assert found["severity"] == "error"
    assert "MARTIN" not in str(found["message"])
    # The name is on the unreadable line: not reported as missing a second time.
    assert parsed.diagnostics["code"].to_list() == ["LEX-UNQUOTED"]
    # The line interrupts the first individual: only that individual is rejected.
    assert status(parsed) == DeclarationStatus.PARTIALLY_ACCEPTED


def test_a_line_without_rubric_id_is_malformed() -> None:
    data = render(monthly()).replace(b"S21.G00.40.006,'Comptable'", b"n'importe quoi", 1)
    [parsed] = parse(data)
    [found] = findings(parsed, "LEX-MALFORMED")
    assert found["line"] == line_of(monthly(), "S21.G00.40.006")


def test_an_empty_line_is_a_warning() -> None:
    data = render(monthly()).replace(b"S21.G00.40.006,'Comptable'\r\n", b"\r\n", 1)
    [parsed] = parse(data)
    assert [f["severity"] for f in findings(parsed, "LEX-BLANK-LINE")] == ["warning"]


def test_empty_and_blank_padded_values_are_rejected() -> None:
    lines = replaced(replaced(monthly(), "S21.G00.40.006", ""), "S21.G00.15.001", " CONTRAT")
    parsed = validated(lines)
    assert [f["line"] for f in findings(parsed, "LEX-EMPTY-VALUE")] == [
        line_of(lines, "S21.G00.40.006")
    ]
    assert [f["line"] for f in findings(parsed, "LEX-BLANKS")] == [line_of(lines, "S21.G00.15.001")]


def test_a_line_longer_than_256_characters_is_rejected() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.40.006", "x" * 250))
    assert len(findings(parsed, "LEX-LINE-TOO-LONG")) == 1


def test_a_replacement_character_is_a_warning_that_keeps_the_declaration() -> None:
    # As in the insurer's lot sample: a UTF-8 file where one character was lost on the way.
    lines = replaced(monthly(), "S21.G00.40.006", "Pr\ufffdparateur")
    parsed = validated(lines, encoding="utf-8")
    [found] = findings(parsed, "ENC-REPLACEMENT-CHAR")
    assert found["severity"] == "warning"
    assert "position 3" in str(found["message"])
    assert status(parsed) == DeclarationStatus.ACCEPTED_WITH_ANOMALIES


# --- syntax (CSL) ---------------------------------------------------------------------------


def test_a_value_of_the_wrong_length_gets_one_diagnostic_not_three() -> None:
    lines = replaced(monthly(), "S20.G00.05.003", "001")
    parsed = validated(lines)
    line = line_of(lines, "S20.G00.05.003")
    on_line = parsed.diagnostics.filter(pl.col("line") == line)
    assert on_line["code"].to_list() == ["CSL-LENGTH"]
    assert on_line["label"].to_list() == ["Numéro de fraction de déclaration"]
    assert "« 001 »" in on_line["message"][0]


def test_a_length_message_states_the_length_once_masked_or_not() -> None:
    [fraction] = findings(validated(replaced(monthly(), "S20.G00.05.003", "001")), "CSL-LENGTH")
    [nir] = findings(
        validated(replaced(monthly(), "S21.G00.30.001", "12345678901234")), "CSL-LENGTH"
    )
    assert [fraction["message"], nir["message"]] == [
        "La valeur « 001 » a 3 caractère(s) ; la norme en attend 2.",
        "La valeur « 1************* » a 14 caractère(s) ; la norme en attend 13.",
    ]


def test_a_fraction_must_be_part_x_of_y_parts() -> None:
    parsed = validated(replaced(monthly(), "S20.G00.05.003", "21"))
    [found] = findings(parsed, "CSL-CODE")
    assert found["rubric"] == "S20.G00.05.003"
    assert status(parsed) == DeclarationStatus.REJECTED


def test_a_value_that_fails_the_norm_pattern_is_reported() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.55.004", "2024X05"))
    [found] = findings(parsed, "CSL-REGEXP")
    assert found["rubric"] == "S21.G00.55.004"


def test_an_impossible_date_is_a_format_error() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.51.002", "31022024"))
    [found] = findings(parsed, "CSL-FORMAT")
    assert found["rubric"] == "S21.G00.51.002"
    assert "date réelle" in str(found["message"])


def test_an_amount_needs_two_decimals() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.81.004", "25.5"))
    [found] = parsed.diagnostics.to_dicts()
    assert (found["code"], found["rubric"]) == ("CSL-FORMAT", "S21.G00.81.004")
    assert "deux décimales" in str(found["message"])


def test_negative_amounts_and_leading_zeros_are_valid() -> None:
    lines = replaced(replaced(monthly(), "S21.G00.55.001", "-05.00"), "S21.G00.55.001", "55.00", 1)
    parsed = validated(lines)
    assert parsed.diagnostics.is_empty()


def test_a_code_outside_the_norm_list_is_reported() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.40.007", "99"))
    [found] = findings(parsed, "CSL-CODE")
    assert (found["rubric"], found["severity"]) == ("S21.G00.40.007", "error")


def test_siren_and_siret_check_digits() -> None:
    lines = replaced(replaced(monthly(), "S21.G00.06.001", "732829321"), "S10.G00.01.002", "00023")
    parsed = validated(lines)
    assert [f["line"] for f in findings(parsed, "CSL-SIREN")] == [line_of(lines, "S21.G00.06.001")]
    # The establishment's SIRET is not reported again for its bad SIREN; the sender's SIRET
    # (good SIREN, NIC changed) is.
    assert [f["line"] for f in findings(parsed, "CSL-SIRET")] == [line_of(lines, "S10.G00.01.002")]


def test_an_iban_with_a_wrong_key_is_reported_masked() -> None:
    lines = monthly()
    at = line_of(lines, "S21.G00.20.001")
    lines.insert(at, ("S21.G00.20.004", "FR7630001007941234567890186"))
    parsed = validated(lines)
    [found] = findings(parsed, "CSL-IBAN")
    assert found["line"] == at + 1
    assert "1234567890186" not in str(found["message"])
    assert "L'IBAN « FR76…0186 » (27 caractères)" in str(found["message"])  # masked as an account
    assert (
        findings(
            validated(replaced(lines, "S21.G00.20.004", "FR7630001007941234567890185")), "CSL-IBAN"
        )
        == []
    )


def test_personal_values_are_masked_in_messages() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.30.001", "1234567890123"))
    [found] = findings(parsed, "CSL-REGEXP")
    message = str(found["message"])
    assert "1234567890123" not in message
    assert "« 1************ » (13 caractères)" in message


# --- structure ------------------------------------------------------------------------------


def test_an_unknown_rubric_is_an_error_but_service_rubrics_are_not() -> None:
    lines = monthly()
    at = line_of(lines, "S21.G00.11.022")
    lines[at:at] = [("S21.G00.11.099", "X"), ("S21.G00.11.904", "NOM AJOUTE PAR LA PLATEFORME")]
    parsed = validated(lines)
    assert [(f["line"], f["rubric"]) for f in parsed.diagnostics.to_dicts()] == [
        (at + 1, "S21.G00.11.099")
    ]
    assert findings(parsed, "STR-UNKNOWN-RUBRIC")[0]["severity"] == "error"


def test_a_missing_mandatory_rubric_is_reported_on_its_block() -> None:
    lines = without(monthly(), "S21.G00.30.002", 1)
    parsed = validated(lines)
    [found] = findings(parsed, "STR-MANDATORY")
    assert found["rubric"] == "S21.G00.30.002"
    assert found["line"] == line_of(lines, "S21.G00.30.001", 1)
    assert found["label"] == "Nom de famille"


def test_a_rubric_forbidden_for_the_nature_is_reported() -> None:
    lines = monthly()
    at = line_of(lines, "S20.G00.05.005")
    lines.insert(at + 1, ("S20.G00.05.006", "050520241"))  # only for replacements of signals
    parsed = validated(lines)
    [found] = findings(parsed, "STR-FORBIDDEN")
    assert found["rubric"] == "S20.G00.05.006"


def test_a_block_absent_from_the_nature_model_is_forbidden() -> None:
    # A work-stoppage signal (nature 04) carries no remuneration block S21.G00.50.
    lines = replaced(monthly(), "S20.G00.05.001", "04")
    parsed = validated(lines)
    blocks = [
        (f["line"], f["message"])
        for f in findings(parsed, "STR-FORBIDDEN")
        if str(f["message"]).startswith("Bloc S21.G00.50 ")
    ]
    assert [line for line, _ in blocks] == [
        line_of(lines, "S21.G00.50.001", 0),
        line_of(lines, "S21.G00.50.001", 1),
    ]
    assert "nature 04" in str(blocks[0][1])


def test_a_block_placed_out_of_its_parent_is_out_of_order() -> None:
    lines = monthly()
    at = line_of(lines, "S20.G00.05.001") - 1
    lines[at:at] = [("S21.G00.55.001", "10.00"), ("S21.G00.55.004", "2024M05")]
    parsed = validated(lines)
    [found] = findings(parsed, "STR-ORDER")
    assert (found["line"], found["rubric"]) == (at + 1, "S21.G00.55.001")


def test_sibling_blocks_of_one_type_must_follow_each_other() -> None:
    lines = monthly()
    adhesion = lines[line_of(lines, "S21.G00.15.001") - 1 : line_of(lines, "S21.G00.15.005")]
    adhesion = [(r, "2" if r == "S21.G00.15.005" else v) for r, v in adhesion]
    at = line_of(lines, "S21.G00.55.004", 1)
    lines[at:at] = adhesion  # a second adhésion after the payment
    parsed = validated(lines)
    [found] = findings(parsed, "STR-ORDER")
    assert found["line"] == at + 1


def test_a_block_repeated_beyond_its_maximum() -> None:
    lines = monthly()
    end = line_of(lines, "S21.G00.62.001") if False else line_of(lines, "S21.G00.40.040")
    lines[end:end] = [
        ("S21.G00.62.001", "31052024"),
        ("S21.G00.62.002", "059"),
        ("S21.G00.62.001", "30052024"),
        ("S21.G00.62.002", "059"),
    ]
    parsed = validated(lines)
    [found] = findings(parsed, "STR-CARDINALITY-MAX")
    assert found["line"] == end + 3


def test_a_required_block_missing_under_its_parent() -> None:
    lines = without(monthly(), "S21.G00.71.002")
    parsed = validated(lines)
    [found] = findings(parsed, "STR-CARDINALITY-MIN")
    assert found["line"] == line_of(lines, "S21.G00.40.001")
    assert "S21.G00.71" in str(found["message"])


def test_a_block_absent_from_the_model_of_the_nature_is_not_required() -> None:
    # S21.G00.71 is 1..n under a contract, but its usage for a signalement d'arrêt (04) is N.
    # P24V01 also lists S21.G00.71.003, which has no usage any more: it must not matter.
    lines = without(replaced(monthly(), "S20.G00.05.001", "04"), "S21.G00.71.002")
    parsed = validated(lines)
    missing = [str(found["message"]) for found in findings(parsed, "STR-CARDINALITY-MIN")]
    assert not any("S21.G00.71" in message for message in missing)


def test_two_required_blocks_missing_under_one_parent_are_both_reported() -> None:
    lines = [
        (rubric, value)
        for rubric, value in monthly()
        if not rubric.startswith(("S10.G00.01", "S10.G00.02"))
    ]
    parsed = validated(lines)
    messages = [str(found["message"]) for found in findings(parsed, "STR-CARDINALITY-MIN")]
    assert any("S10.G00.01" in message for message in messages)
    assert any("S10.G00.02" in message for message in messages)


# --- totals ---------------------------------------------------------------------------------


def test_a_wrong_line_count_rejects_the_declaration() -> None:
    lines = monthly()
    parsed = validated(lines, line_count=150)
    [found] = findings(parsed, "S90-LINE-COUNT")
    assert (found["line"], found["rubric"]) == (len(lines) + 1, "S90.G00.90.001")
    assert f"en compte {len(lines) + 2}" in str(found["message"])
    assert status(parsed) == DeclarationStatus.REJECTED


def test_a_wrong_declaration_count() -> None:
    parsed = validated(monthly(), declarations=2)
    [found] = findings(parsed, "S90-DECLARATION-COUNT")
    assert found["rubric"] == "S90.G00.90.002"


def test_an_envoi_without_total_is_incomplete() -> None:
    data = b"\r\n".join(render(monthly()).split(b"\r\n")[:-3]) + b"\r\n"
    [parsed] = parse(data)
    [found] = findings(parsed, "STR-ENVOI-INCOMPLETE")
    assert found["line"] == 1


# --- cross-rubric controls: official ids and messages (the catalogue's), scoped correctly ---


def test_an_affiliation_must_refer_to_an_adhesion_of_its_establishment() -> None:
    lines = replaced(monthly(), "S21.G00.70.013", "7", 1)
    parsed = validated(lines)
    [found] = findings(parsed, "S21.G00.70.013/CCH-11")
    assert (found["line"], found["rubric"]) == (
        line_of(lines, "S21.G00.70.013", 1),
        "S21.G00.70.013",
    )
    assert "n'est pas présent dans un des blocs" in str(found["message"])


def test_a_base_31_must_refer_to_an_affiliation_of_the_same_individual() -> None:
    # individual 2's base points at individual 1's affiliation: same file, wrong person
    lines = replaced(monthly(), "S21.G00.78.005", "1", 1)
    parsed = validated(lines)
    found = findings(parsed, "S21.G00.78.005/CCH-11")
    assert [f["line"] for f in found] == [line_of(lines, "S21.G00.78.005", 1)]
    # and individual 2's own affiliation is left without a base 31 in a monthly DSN
    [orphan] = findings(parsed, "S21.G00.78.001/CCH-13")
    assert orphan["line"] == line_of(lines, "S21.G00.70.012", 1)


def test_a_base_31_needs_exactly_one_cotisation_059() -> None:
    lines = monthly()
    at = line_of(lines, "S21.G00.81.004")
    lines[at:at] = [("S21.G00.81.001", "059"), ("S21.G00.81.004", "1.00")]
    lines = without(lines, "S21.G00.81.004", 2)
    lines = without(lines, "S21.G00.81.001", 2)
    parsed = validated(lines)
    found = findings(parsed, "S21.G00.81.001/CCH-15")
    assert [f["line"] for f in found] == [
        line_of(lines, "S21.G00.78.001", 0),
        line_of(lines, "S21.G00.78.001", 1),
    ]
    assert {f["severity"] for f in found} == {"error"}


def test_a_payment_must_equal_the_sum_of_its_components_exactly() -> None:
    lines = replaced(monthly(), "S21.G00.55.001", "24.99")
    parsed = validated(lines)
    [found] = findings(parsed, "S21.G00.20.005/CCH-12")
    assert found["line"] == line_of(lines, "S21.G00.20.005")


def test_a_payment_whose_components_sum_below_zero_is_declared_zero() -> None:
    lines = replaced(replaced(monthly(), "S21.G00.55.001", "-30.00"), "S21.G00.20.005", "0.00")
    assert findings(validated(lines), "S21.G00.20.005/CCH-12") == []
    lines = replaced(lines, "S21.G00.20.005", "-5.00")
    assert len(findings(validated(lines), "S21.G00.20.005/CCH-12")) == 1


def test_a_payment_to_the_provident_organism_needs_its_components() -> None:
    lines = monthly()
    first = line_of(lines, "S21.G00.55.001") - 1
    del lines[first : first + 6]
    parsed = validated(lines)
    assert findings(parsed, "S21.G00.20.005/CCH-12") == []
    [found] = findings(parsed, "S21.G00.20.001/CCH-12")
    assert found["rubric"] == "S21.G00.20.001"


@pytest.mark.parametrize(
    ("rubric", "value", "code"),
    [
        ("S21.G00.51.001", "15062024", "S21.G00.51.002/CCH-11"),
        ("S21.G00.20.007", "30042024", "S21.G00.20.007/CCH-11"),
    ],
)
def test_periods_must_end_after_they_start(rubric: str, value: str, code: str) -> None:
    parsed = validated(replaced(monthly(), rubric, value))
    [found] = findings(parsed, code)
    assert found["rubric"] == code.split("/")[0]


def test_a_stoppage_and_a_contract_end_must_have_dates_in_order() -> None:
    lines = monthly()
    at = line_of(lines, "S21.G00.40.043")
    lines[at:at] = [
        ("S21.G00.60.001", "01"),
        ("S21.G00.60.002", "20052024"),
        ("S21.G00.60.003", "10052024"),
        ("S21.G00.62.001", "31082015"),
        ("S21.G00.62.002", "059"),
        ("S21.G00.62.003", "01082015"),
    ]
    parsed = validated(lines)
    [stoppage] = findings(parsed, "S21.G00.60.002/CCH-12")
    assert stoppage["line"] == line_of(lines, "S21.G00.60.002")
    # the contract (started 01/09/2015) ends before it starts: reported on its start
    [contract] = findings(parsed, "S21.G00.40.001/CCH-13")
    assert contract["line"] == line_of(lines, "S21.G00.40.001")


def test_the_declared_month_is_the_first_of_a_month() -> None:
    parsed = validated(replaced(monthly(), "S20.G00.05.005", "15052024"))
    [found] = findings(parsed, "CSL-FORMAT")
    assert found["rubric"] == "S20.G00.05.005"
    assert "premier jour du mois" in str(found["message"])


def test_absences_in_an_oc_copy_are_warnings() -> None:
    """An envoi carrying the deposit platform's block is the copy a concentrator filtered for
    the OC after national checks: what is missing there was left out on purpose."""
    lines = without(without(monthly(), "S20.G00.05.010"), "S21.G00.71.002", 1)
    at = line_of(lines, "S10.G00.02.005")
    lines[at:at] = [("S10.G00.95.001", "DEPOSANT"), ("S10.G00.95.006", "MtoM")]
    parsed = validated(lines)
    presence = findings(parsed, "STR-MANDATORY") + findings(parsed, "STR-CARDINALITY-MIN")
    assert sorted(str(f["code"]) for f in presence) == ["STR-CARDINALITY-MIN", "STR-MANDATORY"]
    assert {f["severity"] for f in presence} == {"warning"}
    assert status(parsed) == DeclarationStatus.ACCEPTED_WITH_ANOMALIES


# --- norm versions --------------------------------------------------------------------------


def test_an_older_norm_falls_back_with_one_warning_and_lenient_presence_rules() -> None:
    lines = without(replaced(monthly(), "S10.G00.00.006", "P21V01"), "S21.G00.11.022")
    parsed = validated(lines)
    [fallback] = findings(parsed, "NORM-FALLBACK")
    assert (fallback["line"], fallback["severity"]) == (4, "warning")
    assert "P24V01" in str(fallback["message"])
    [missing] = findings(parsed, "STR-MANDATORY")
    assert missing["severity"] == "warning"  # 11.022 did not exist in 2021
    assert status(parsed) == DeclarationStatus.ACCEPTED_WITH_ANOMALIES


# --- statuses -------------------------------------------------------------------------------


def test_an_error_inside_one_individual_gives_a_partial_acceptance() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.40.007", "99", 1))
    assert status(parsed) == DeclarationStatus.PARTIALLY_ACCEPTED


def test_errors_in_every_individual_of_a_monthly_dsn_keep_its_establishment_data() -> None:
    lines = replaced(replaced(monthly(), "S21.G00.40.007", "99", 0), "S21.G00.40.007", "99", 1)
    assert status(validated(lines)) == DeclarationStatus.PARTIALLY_ACCEPTED


def test_an_error_in_the_establishment_rejects_the_declaration() -> None:
    parsed = validated(replaced(monthly(), "S21.G00.15.004", "07"))
    assert status(parsed) == DeclarationStatus.REJECTED


def test_a_file_without_any_envoi_is_unreadable() -> None:
    [parsed] = parse(b"bonjour\r\nS21.G00.30.001,1850512345678\r\n")
    assert parsed.declarations.is_empty()
    assert parsed.rejected
    codes = parsed.diagnostics["code"].to_list()
    assert "FILE-UNREADABLE" in codes and "LEX-MALFORMED" in codes and "LEX-UNQUOTED" in codes
