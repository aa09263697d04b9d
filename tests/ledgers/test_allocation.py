"""Lettrage: every scenario a company's payments go through, the rule and score recorded, and
the two identities (calls − payments = balance; bank = allocated + unallocated) after each."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgers.allocation import Entry, Lettrage, company_keys
from ledgers.calls import build_calls
from tests.ledgers.ledger_frames import (
    ACME,
    ACME_IBAN,
    BETA,
    BETA_IBAN,
    allocate,
    assert_identities,
    contributions,
    d,
    declared_payments,
    monthly_calls,
    movement,
    movements,
    paid_by_call,
    terms,
)

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
CALL_JAN, CALL_FEB, CALL_MAR = (f"{ACME}|C1|CAD|2024M0{m}" for m in (1, 2, 3))
ACME_PAYS_FROM = declared_payments(("DP-J", ACME, ACME_IBAN, "100.00", "C1", "2024M01", "100.00"))


def _rows(result, movement_id: str) -> list[dict]:
    return result.allocations.filter(pl.col("movement_id") == movement_id).to_dicts()


def test_on_time_payment_matching_the_declared_payment_settles_its_call() -> None:
    calls = monthly_calls({JAN: "100.00"})
    bank = movements(movement("m1", "100.00", date(2024, 2, 10), debtor_iban=ACME_IBAN))
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    [row] = _rows(result, "m1")
    assert (row["entry"], row["call_id"], row["amount"]) == (Entry.CALL, CALL_JAN, d("100.00"))
    assert (row["payer_rule"], row["amount_rule"], row["score"]) == (
        "iban_declare",
        "paiement_declare",
        90,
    )
    assert row["declared_payment_id"] == "DP-J"
    assert_identities(calls, result)


def test_our_call_reference_in_the_remittance_text_wins_over_the_amount() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "100.00"})
    bank = movements(
        movement(
            "m1", "100.00", date(2024, 2, 10), remittance_lines=["COTISATIONS C1-2024M02 MERCI"]
        )
    )
    [row] = _rows(allocate(calls, bank), "m1")
    assert (row["call_id"], row["payer_rule"], row["amount_rule"], row["score"]) == (
        CALL_FEB,
        "reference_appel",
        "reference",
        100,
    )


def test_reference_split_over_two_words_and_in_end_to_end_id() -> None:
    calls = monthly_calls({JAN: "40.00", FEB: "50.00"})
    bank = movements(
        movement("m1", "40.00", date(2024, 3, 1), remittance_lines=["C1 2024M01"]),
        movement("m2", "50.00", date(2024, 3, 1), end_to_end_id="C1-2024M02"),
    )
    assert paid_by_call(allocate(calls, bank)) == {CALL_JAN: d("40.00"), CALL_FEB: d("50.00")}


def test_structured_creditor_reference_carrying_our_call_reference() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "100.00"})
    bank = movements(movement("m1", "100.00", date(2024, 3, 1), creditor_reference="RF55C12024M02"))
    [row] = _rows(allocate(calls, bank), "m1")
    assert (row["call_id"], row["payer_rule"]) == (CALL_FEB, "reference_appel")
    wrong_check_digits = movements(
        movement("m1", "100.00", date(2024, 3, 1), creditor_reference="RF56C12024M02")
    )
    [row] = _rows(allocate(calls, wrong_check_digits), "m1")
    assert row["payer_rule"] == "payeur_inconnu"


def test_late_payment_is_still_allocated_to_its_call() -> None:
    calls = monthly_calls({JAN: "100.00"})
    bank = movements(movement("m1", "100.00", date(2024, 5, 2), debtor_iban=ACME_IBAN))
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    assert paid_by_call(result) == {CALL_JAN: d("100.00")}
    assert_identities(calls, result)


def test_partial_payment_leaves_the_rest_due() -> None:
    calls = monthly_calls({JAN: "100.00"})
    bank = movements(movement("m1", "60.00", date(2024, 2, 10), debtor_iban=ACME_IBAN))
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    [row] = _rows(result, "m1")
    assert (row["call_id"], row["amount"], row["amount_rule"]) == (
        CALL_JAN,
        d("60.00"),
        "plus_ancien",
    )
    assert row["score"] == 63  # 90 × 0.7
    assert_identities(calls, result)


def test_overpayment_fills_the_call_and_keeps_the_rest_as_unallocated_credit() -> None:
    calls = monthly_calls({JAN: "100.00"})
    bank = movements(movement("m1", "130.00", date(2024, 2, 10), remittance_lines=["C1-2024M01"]))
    result = allocate(calls, bank)
    rows = _rows(result, "m1")
    assert [(r["entry"], r["call_id"], r["amount"]) for r in rows] == [
        (Entry.CALL, CALL_JAN, d("100.00")),
        (Entry.CREDIT, None, d("30.00")),
    ]
    assert rows[1]["siren"] == ACME
    assert_identities(calls, result)


def test_one_transfer_for_several_periods_is_split_by_an_exact_combination() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "110.00", MAR: "95.00"})
    bank = movements(movement("m1", "195.00", date(2024, 4, 10), debtor_iban=ACME_IBAN))
    result = allocate(
        calls,
        bank,
        declared_payments=ACME_PAYS_FROM.filter(pl.lit(False)).vstack(
            declared_payments(("DP-X", ACME, ACME_IBAN, "1.00", "C1", "2023M12", "1.00"))
        ),
    )
    assert paid_by_call(result) == {CALL_JAN: d("100.00"), CALL_MAR: d("95.00")}
    assert {r["amount_rule"] for r in _rows(result, "m1")} == {"combinaison"}
    assert_identities(calls, result)


def test_declared_payment_over_two_contracts_is_split_as_declared() -> None:
    rows = [(ACME, "C1", "CAD", JAN, "150.00"), (ACME, "C2", "CAD", JAN, "100.00")]
    calls = build_calls(contributions(*rows), [terms("C1"), terms("C2")])
    declared = declared_payments(
        ("DP1", ACME, ACME_IBAN, "250.00", "C1", "2024M01", "150.00"),
        ("DP1", ACME, ACME_IBAN, "250.00", "C2", "2024M01", "100.00"),
    )
    bank = movements(movement("m1", "250.00", date(2024, 2, 12), debtor_iban=ACME_IBAN))
    result = allocate(calls, bank, declared_payments=declared)
    assert paid_by_call(result) == {
        f"{ACME}|C1|CAD|2024M01": d("150.00"),
        f"{ACME}|C2|CAD|2024M01": d("100.00"),
    }
    assert_identities(calls, result)


def test_missing_payment_leaves_that_period_open() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "100.00", MAR: "100.00"})
    bank = movements(
        movement("jan", "100.00", date(2024, 2, 12), debtor_iban=ACME_IBAN),
        movement("mar", "100.00", date(2024, 4, 12), debtor_iban=ACME_IBAN),
    )
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    # the payment of mid-February settles January (due 15/02), not an older or later period
    assert paid_by_call(result) == {CALL_JAN: d("100.00"), CALL_MAR: d("100.00")}
    assert_identities(calls, result)


def test_returned_direct_debit_reopens_the_call_and_the_second_presentation_settles_it() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "100.00"})
    debit = {"mandate_id": "MDT-ACME-1", "debtor_iban": ACME_IBAN}
    bank = movements(
        movement("dd1", "100.00", date(2024, 2, 15), end_to_end_id="E2E-1", **debit),
        movement(
            "ret", "-100.00", date(2024, 2, 27), end_to_end_id="E2E-1", is_return=True, **debit
        ),
        movement("dd2", "100.00", date(2024, 3, 12), end_to_end_id="E2E-2", **debit),
    )
    mandates = pl.DataFrame(
        {"mandate_id": ["MDT-ACME-1"], "siren": [ACME], "contract_reference": ["C1"]}
    )
    result = allocate(calls, bank, mandates=mandates)
    [reversal] = _rows(result, "ret")
    assert (reversal["entry"], reversal["call_id"], reversal["amount"]) == (
        Entry.REVERSAL,
        CALL_JAN,
        d("-100.00"),
    )
    assert reversal["reverses_allocation_id"] == "dd1#1"
    [again] = _rows(result, "dd2")
    # the re-presentation goes to the reopened January call, not to February (due closer)
    assert (again["call_id"], again["payer_rule"]) == (CALL_JAN, "mandat")
    assert paid_by_call(result) == {CALL_JAN: d("100.00")}
    assert_identities(calls, result)


def test_return_without_its_original_stays_visible_as_a_debit_on_the_company() -> None:
    calls = monthly_calls({JAN: "100.00"})
    bank = movements(
        movement("ret", "-80.00", date(2024, 2, 27), is_return=True, debtor_iban=ACME_IBAN)
    )
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    [row] = _rows(result, "ret")
    assert (row["entry"], row["siren"], row["amount"], row["amount_rule"]) == (
        Entry.CREDIT,
        ACME,
        d("-80.00"),
        "retour_non_rapproche",
    )
    assert_identities(calls, result)


def test_unreferenced_payment_is_matched_by_the_iban_declared_in_the_dsn() -> None:
    calls = monthly_calls({JAN: "100.00"}).vstack(monthly_calls({JAN: "100.00"}, siren=BETA))
    declared = declared_payments(
        ("DA", ACME, ACME_IBAN, "100.00", "C1", "2024M01", "100.00"),
        ("DB", BETA, BETA_IBAN, "100.00", "C1", "2024M01", "100.00"),
    )
    bank = movements(movement("m1", "100.00", date(2024, 2, 10), debtor_iban=BETA_IBAN.lower()))
    [row] = _rows(allocate(calls, bank, declared_payments=declared), "m1")
    assert (row["siren"], row["payer_rule"]) == (BETA, "iban_declare")


def test_payer_found_by_siret_in_the_text_then_by_name() -> None:
    calls = monthly_calls({JAN: "100.00"}).vstack(monthly_calls({JAN: "70.00"}, siren=BETA))
    companies = pl.DataFrame({"siren": [ACME, BETA], "name": ["Acme Industrie SAS", "Bêta"]})
    bank = movements(
        movement("m1", "100.00", date(2024, 2, 10), remittance_lines=["VIR 12345678200010 COTIS"]),
        movement("m2", "70.00", date(2024, 2, 10), debtor_name="BETA"),
    )
    result = allocate(calls, bank, companies=companies)
    assert [(r["siren"], r["payer_rule"]) for r in _rows(result, "m1")] == [(ACME, "siret_libelle")]
    assert [(r["siren"], r["payer_rule"]) for r in _rows(result, "m2")] == [(BETA, "nom")]


def test_unknown_payer_goes_to_the_suspense_account_never_written_off() -> None:
    calls = monthly_calls({JAN: "100.00"})
    bank = movements(
        movement("m1", "100.00", date(2024, 2, 10), debtor_name="INCONNU", debtor_iban=BETA_IBAN)
    )
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    [row] = _rows(result, "m1")
    assert (row["entry"], row["siren"], row["call_id"], row["amount"]) == (
        Entry.SUSPENSE,
        None,
        None,
        d("100.00"),
    )
    assert row["payer_rule"] == "payeur_inconnu"
    assert_identities(calls, result)


def test_movement_delivered_twice_counts_once() -> None:
    calls = monthly_calls({JAN: "100.00"})
    twice = movement("m1", "100.00", date(2024, 2, 10), debtor_iban=ACME_IBAN)
    bank = movements(twice, {**twice, "file_id": "F2"})
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    assert result.duplicates.to_dicts() == [{"movement_id": "m1", "copies": 2}]
    assert result.movements.height == 1
    assert paid_by_call(result) == {CALL_JAN: d("100.00")}
    assert_identities(calls, result)


def test_pending_entries_and_unrelated_debits_are_left_out_and_listed() -> None:
    calls = monthly_calls({JAN: "100.00"})
    bank = movements(
        movement("fee", "-3.50", date(2024, 2, 10), is_return=False),
        movement("pending", "100.00", date(2024, 2, 10), status="PDNG", debtor_iban=ACME_IBAN),
        movement("undated", "100.00", None, booking_date=None, debtor_iban=ACME_IBAN),
    )
    result = allocate(calls, bank, declared_payments=ACME_PAYS_FROM)
    assert result.allocations.is_empty()
    assert sorted(result.ignored["movement_id"]) == ["fee", "pending", "undated"]
    assert all(result.ignored["reason"].str.len_chars() > 0)


def _scenario() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    calls = monthly_calls({JAN: "100.00", FEB: "110.00", MAR: "95.00"}).vstack(
        monthly_calls({JAN: "70.00", FEB: "70.00"}, siren=BETA)
    )
    declared = declared_payments(
        ("DA", ACME, ACME_IBAN, "100.00", "C1", "2024M01", "100.00"),
        ("DB", BETA, BETA_IBAN, "70.00", "C1", "2024M01", "70.00"),
    )
    debit = {"mandate_id": "MDT-B", "debtor_iban": BETA_IBAN}
    bank = movements(
        movement("a1", "100.00", date(2024, 2, 10), debtor_iban=ACME_IBAN),
        movement("a2", "300.00", date(2024, 4, 10), debtor_iban=ACME_IBAN),
        movement("b1", "70.00", date(2024, 2, 15), end_to_end_id="E-B1", **debit),
        movement("b2", "-70.00", date(2024, 2, 25), end_to_end_id="E-B1", is_return=True, **debit),
        movement("b3", "70.00", date(2024, 3, 5), end_to_end_id="E-B3", **debit),
        movement("b3", "70.00", date(2024, 3, 5), end_to_end_id="E-B3", **debit),
        movement("x1", "12.34", date(2024, 3, 5), debtor_name="QUELQU'UN"),
        movement("b4", "70.00", date(2024, 3, 15), remittance_lines=["C1-2024M02"]),
    )
    return calls, bank, declared


def test_the_identities_hold_on_a_mixed_month() -> None:
    calls, bank, declared = _scenario()
    result = allocate(calls, bank, declared_payments=declared)
    assert_identities(calls, result)


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_same_inputs_in_any_row_order_give_the_same_allocations(rng) -> None:
    calls, bank, declared = _scenario()
    expected = allocate(calls, bank, declared_payments=declared).allocations

    def shuffled(frame: pl.DataFrame) -> pl.DataFrame:
        order = list(range(frame.height))
        rng.shuffle(order)
        return frame[order]

    again = allocate(shuffled(calls), shuffled(bank), declared_payments=shuffled(declared))
    assert again.allocations.sort("allocation_id").equals(expected.sort("allocation_id"))


def test_period_named_in_the_text_takes_a_partial_payment_before_older_open_periods() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "100.00"})
    declared = declared_payments(
        ("DJ", ACME, ACME_IBAN, "100.00", "C1", "2024M01", "100.00"),
        ("DF", ACME, ACME_IBAN, "100.00", "C1", "2024M02", "100.00"),
    )
    text = {"remittance_lines": [f"COTISATIONS 2024M02 SIREN {ACME}"]}
    bank = movements(movement("m1", "60.00", date(2024, 3, 14), **text))
    [row] = _rows(allocate(calls, bank, declared_payments=declared), "m1")
    assert (row["call_id"], row["amount"], row["payer_rule"], row["amount_rule"]) == (
        CALL_FEB,
        d("60.00"),
        "siren_libelle",
        "paiement_declare_partiel",
    )
    [without_declarations] = _rows(allocate(calls, bank), "m1")
    assert (without_declarations["call_id"], without_declarations["amount_rule"]) == (
        CALL_FEB,
        "plus_ancien",
    )


def test_overpayment_of_a_named_declared_payment_leaves_the_excess_as_credit() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "100.00"})
    bank = movements(
        movement(
            "m1",
            "120.00",
            date(2024, 2, 14),
            remittance_lines=["COTISATIONS 2024M01"],
            debtor_iban=ACME_IBAN,
        )
    )
    rows = _rows(allocate(calls, bank, declared_payments=ACME_PAYS_FROM), "m1")
    assert [(r["call_id"], r["amount"], r["amount_rule"]) for r in rows] == [
        (CALL_JAN, d("100.00"), "paiement_declare_partiel"),
        (None, d("20.00"), "excedent"),
    ]


def test_money_on_an_organisme_account_pays_that_organisme_calls_only() -> None:
    rows = [(ACME, "P1", "CAD", JAN, "50.00"), (ACME, "S1", "CAD", JAN, "50.00")]
    contracts = [terms("P1"), terms("S1", organisme="775678584")]
    calls = build_calls(contributions(*rows), contracts)
    accounts = pl.DataFrame(
        {"account_iban": ["FR76MUTUELLE", "FR76IP"], "organisme_code": ["775678584", "P0942"]}
    )
    bank = movements(
        movement(
            "m1",
            "50.00",
            date(2024, 2, 10),
            account_iban="FR76MUTUELLE",
            remittance_lines=[f"SIREN {ACME}"],
        ),
    )
    [row] = _rows(allocate(calls, bank, creditor_accounts=accounts), "m1")
    assert row["contract_reference"] == "S1"
    [anywhere] = _rows(allocate(calls, bank), "m1")
    assert anywhere["contract_reference"] == "P1"  # without the accounts: oldest, then contract


def test_one_transfer_for_two_declared_payments() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "110.00", MAR: "120.00"})
    declared = declared_payments(
        ("DJ", ACME, ACME_IBAN, "100.00", "C1", "2024M01", "100.00"),
        ("DF", ACME, ACME_IBAN, "110.00", "C1", "2024M02", "110.00"),
        ("DM", ACME, ACME_IBAN, "120.00", "C1", "2024M03", "120.00"),
    )
    bank = movements(
        movement(
            "m1",
            "230.00",
            date(2024, 4, 12),
            debtor_iban=ACME_IBAN,
            remittance_lines=["COTISATIONS 2024M02 2024M03"],
        ),
    )
    rows = _rows(allocate(calls, bank, declared_payments=declared), "m1")
    assert [(r["call_id"], r["declared_payment_id"], r["amount_rule"]) for r in rows] == [
        (CALL_FEB, "DF", "combinaison"),
        (CALL_MAR, "DM", "combinaison"),
    ]


def test_transfer_after_a_returned_debit_settles_the_reopened_declared_payment() -> None:
    calls = monthly_calls({JAN: "100.00", FEB: "100.00"})
    declared = declared_payments(
        ("DJ", ACME, ACME_IBAN, "100.00", "C1", "2024M01", "100.00"),
        ("DF", ACME, ACME_IBAN, "100.00", "C1", "2024M02", "100.00"),
    )
    debit = {"debtor_iban": ACME_IBAN, "mandate_id": "RUM1"}
    bank = movements(
        movement("dd", "100.00", date(2024, 2, 15), end_to_end_id="COT-J", **debit),
        movement("ret", "-100.00", date(2024, 2, 20), end_to_end_id="COT-J", **debit),
        movement("again", "100.00", date(2024, 3, 12), end_to_end_id="COT-JR", **debit),
    )
    result = allocate(calls, bank, declared_payments=declared)
    [again] = _rows(result, "again")
    assert (again["call_id"], again["declared_payment_id"], again["amount_rule"]) == (
        CALL_JAN,
        "DJ",
        "paiement_declare",
    )
    assert_identities(calls, result)


_AMOUNTS = st.integers(min_value=1, max_value=40).map(lambda n: f"{n * 12.5:.2f}")


@st.composite
def _random_month(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Calls of two companies, and bank lines of every kind in any mix."""
    months = [JAN, FEB, MAR]
    calls = monthly_calls({m: draw(_AMOUNTS) for m in months}).vstack(
        monthly_calls({m: draw(_AMOUNTS) for m in months[:2]}, siren=BETA)
    )
    declared = declared_payments(
        ("DA", ACME, ACME_IBAN, draw(_AMOUNTS), "C1", "2024M01", draw(_AMOUNTS)),
        ("DB", BETA, BETA_IBAN, draw(_AMOUNTS), "C1", "2024M02", draw(_AMOUNTS)),
    )
    lines = []
    for n in range(draw(st.integers(min_value=0, max_value=8))):
        day = date(2024, 2, 1 + draw(st.integers(min_value=0, max_value=50)) % 28)
        kind = draw(st.sampled_from(["acme", "beta", "unknown", "reference", "return"]))
        by_kind: dict[str, dict[str, Any]] = {
            "acme": {"debtor_iban": ACME_IBAN, "end_to_end_id": f"E{n}"},
            "beta": {"debtor_iban": BETA_IBAN, "end_to_end_id": f"E{n}"},
            "unknown": {"debtor_name": "X"},
            "reference": {"remittance_lines": [f"C1-2024M0{1 + n % 3}"]},
            "return": {"end_to_end_id": f"E{max(n - 1, 0)}", "debtor_iban": ACME_IBAN},
        }
        fields = by_kind[kind]
        sign = "-" if kind == "return" else ""
        lines.append(movement(f"m{n}", sign + draw(_AMOUNTS), day, **fields))
        if draw(st.booleans()):
            lines.append({**lines[-1], "file_id": "F2"})  # delivered again
    return calls, movements(*lines), declared


@settings(max_examples=40, deadline=None)
@given(_random_month(), st.randoms(use_true_random=False))
def test_identities_and_order_independence_hold_for_any_mix(case, rng) -> None:
    calls, bank, declared = case
    result = allocate(calls, bank, declared_payments=declared)
    assert_identities(calls, result)
    assert result.movements.height == bank["movement_id"].n_unique()
    order = list(range(bank.height))
    rng.shuffle(order)
    again = allocate(calls, bank[order], declared_payments=declared)
    assert again.allocations.sort("allocation_id").equals(result.allocations.sort("allocation_id"))
    # nothing is allocated beyond what a call asks
    paid = paid_by_call(result)
    due = dict(zip(calls["call_id"], calls["declared"], strict=True))
    assert all(amount <= due[call] for call, amount in paid.items())


def test_a_key_one_company_gains_counts_as_changed_while_another_keeps_it() -> None:
    """Two companies recomputed on the same night: B starts paying from the IBAN A already pays
    from. The movements from that IBAN must be identified again (A alone before, A and B now)."""
    calls = pl.DataFrame(
        {"siren": ["111111111"], "call_reference": ["APPEL-A"], "contract_reference": ["C-A"]}
    )
    iban = "FR7630006000011234567890189"
    before = company_keys(calls, pl.DataFrame({"siren": ["111111111"], "iban": [iban]}))
    after = company_keys(
        calls, pl.DataFrame({"siren": ["111111111", "222222222"], "iban": [iban, iban]})
    )
    assert f"iban:{iban}" in {key for _, key in before ^ after}


def test_posting_some_movements_still_reads_every_company_s_declared_ibans() -> None:
    """A night posts only the movements of the companies it recomputes: the book still knows
    the IBAN every company declared and their declared payments, so an IBAN declared by one
    company leads to its declared payment, one declared by two is a weaker match over both."""
    calls = monthly_calls({JAN: "100.00"}).vstack(monthly_calls({JAN: "100.00"}, siren=BETA))
    bank = movements(movement("m1", "100.00", date(2024, 2, 10), debtor_iban=BETA_IBAN))
    own = declared_payments(
        ("DA", ACME, ACME_IBAN, "100.00", "C1", "2024M01", "100.00"),
        ("DB", BETA, BETA_IBAN, "100.00", "C1", "2024M01", "100.00"),
    )
    [row] = Lettrage(calls, bank, declared_payments=own).post(["m1"]).allocations.to_dicts()
    assert (row["siren"], row["payer_rule"], row["score"], row["declared_payment_id"]) == (
        BETA,
        "iban_declare",
        90,
        "DB",
    )
    shared = declared_payments(
        ("DA", ACME, BETA_IBAN, "100.00", "C1", "2024M01", "100.00"),
        ("DB", BETA, BETA_IBAN, "100.00", "C1", "2024M01", "100.00"),
    )
    [row] = Lettrage(calls, bank, declared_payments=shared).post(["m1"]).allocations.to_dicts()
    assert (row["siren"], row["score"], row["declared_payment_id"]) == (ACME, 80, "DA")
