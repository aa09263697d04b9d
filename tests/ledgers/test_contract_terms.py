"""A contract parameter file read into the ledgers' terms: its due-date rule, late fee, dunning
day counts, collection accounts and SEPA mandates, as the generator writes them."""

from __future__ import annotations

from datetime import date

import polars as pl

from contracts.parameters import (
    AccountPurpose,
    CollectionAccount,
    ContractParameters,
    Cover,
    DueDateKind,
    DueDateRule,
    DunningDays,
    LateFee,
    LegalRegime,
    Periodicity,
    Population,
    SepaMandate,
)
from ledgers.calls import build_calls
from ledgers.contract_terms import ContractTerms, creditor_accounts_frame, mandates_frame
from ledgers.dunning import Stage, dunning_state
from tests.ledgers.ledger_frames import ACME, ACME_IBAN, BETA, allocate, contributions, d, movements

Q4 = [date(2023, 10, 1), date(2023, 11, 1), date(2023, 12, 1)]
DEBIT_ACCOUNT = "FR8230003000701234567890380"
TRANSFER_ACCOUNT = "FR7630004000031234567890143"
REFERENCE = "000007/P123"


def _parameters(
    reference: str = REFERENCE, siren: str = ACME, **fields: object
) -> ContractParameters:
    document = ContractParameters(
        contract_reference=reference,
        organisme_code="P0942",
        legal_regime=LegalRegime.INSTITUTION_PREVOYANCE,
        cover=Cover.PREVOYANCE,
        siren=siren,
        company_name="ACME",
        effective_from=date(2020, 1, 1),
        options=[],
        populations=[Population(code="CADPR", label="Cadres", categories=["01"])],
        rates=[],
        payment_periodicity=Periodicity.QUARTERLY,
        due_date_rule=DueDateRule(),
    ).model_dump(mode="json")
    document.update(fields)
    # read back from JSON, as the warehouse reads the landing's files
    return ContractParameters.model_validate_json(ContractParameters(**document).model_dump_json())


def _terms(reference: str = REFERENCE, siren: str = ACME, **fields: object) -> ContractTerms:
    return ContractTerms.from_parameters(_parameters(reference, siren, **fields))


def _q4_call(contract: ContractTerms) -> pl.DataFrame:
    rows = [(ACME, contract.contract_reference, "CADPR", m, "100.00") for m in Q4]
    return build_calls(contributions(*rows), [contract])


def test_a_day_of_next_month_rule_gives_that_day_not_the_period_end() -> None:
    rule = DueDateRule(kind=DueDateKind.DAY_OF_NEXT_MONTH, day_of_next_month=20)
    [call] = _q4_call(_terms(due_date_rule=rule)).to_dicts()
    assert call["due_date"] == date(2024, 1, 20)
    last_day = DueDateRule(kind=DueDateKind.DAY_OF_NEXT_MONTH, day_of_next_month=31)
    [call] = _q4_call(_terms(due_date_rule=last_day)).to_dicts()
    assert call["due_date"] == date(2024, 1, 31)
    [call] = _q4_call(_terms(due_date_rule=DueDateRule(days_after_period_end=45))).to_dicts()
    assert call["due_date"] == date(2024, 2, 14)


def test_the_contract_late_fee_and_dunning_days_drive_the_dunning() -> None:
    days = DunningDays(
        reminder_days_after_due=15,
        notice_days_after_due=30,
        suspension_days_after_notice=30,
        termination_days_after_suspension=10,
    )
    own = _terms(
        dunning_days=days, late_fee=LateFee(annual_rate_percent=d("3.65"), flat_amount=d("20"))
    )
    regime = _terms()  # no day counts, no fee in the file: the regime's counts, no fee
    calls = _q4_call(own)  # 300.00 due 31/12/2023 (0 days after the quarter)
    as_of = date(2024, 1, 25)  # 25 days late
    allocations = allocate(calls, movements()).allocations
    [with_own] = dunning_state(calls, allocations, [own], as_of).to_dicts()
    [with_regime] = dunning_state(calls, allocations, [regime], as_of).to_dicts()
    assert with_own["notice_date"] == date(2024, 1, 30) and with_own["stage"] == Stage.REMINDER
    assert with_regime["notice_date"] == date(2024, 1, 10)
    assert with_regime["stage"] == Stage.FORMAL_NOTICE
    # 300.00 × 3.65 % / 365 × 25 days; the flat fee waits for the formal notice
    assert with_own["late_fee"] == d("0.75") and with_regime["late_fee"] == d("0.00")
    [at_notice] = dunning_state(calls, allocations, [own], date(2024, 1, 30)).to_dicts()
    assert at_notice["late_fee"] == d("20.90")  # 30 days of interest + the flat fee


def test_collection_accounts_and_mandates_are_read_from_the_parameters() -> None:
    accounts = [
        CollectionAccount(iban=DEBIT_ACCOUNT, bic="SOGEFRPP", purpose=AccountPurpose.DIRECT_DEBIT),
        CollectionAccount(
            iban="FR76 3000 4000 0312 3456 7890 143",
            bic="BNPAFRPP",
            purpose=AccountPurpose.TRANSFER,
        ),
    ]
    mandate = SepaMandate(mandate_id="RUM-ACME-P0942", debtor_iban=ACME_IBAN)
    health = _terms(reference="000007/S455", collection_accounts=accounts, sepa_mandates=[mandate])
    provident = _terms(collection_accounts=accounts, sepa_mandates=[mandate])
    other = _terms(reference="000009/P777", siren=BETA, sepa_mandates=[
        SepaMandate(mandate_id="RUM-BETA", debtor_iban=ACME_IBAN)])  # fmt: skip
    frame, rejected = creditor_accounts_frame([health, provident, other])
    assert frame.rows() == [(TRANSFER_ACCOUNT, "P0942"), (DEBIT_ACCOUNT, "P0942")]  # compacted
    assert rejected == []
    # one mandate for two contracts of a company pays that company, either contract
    assert mandates_frame([health, provident, other]).rows() == [
        ("RUM-ACME-P0942", ACME, None),
        ("RUM-BETA", BETA, "000009/P777"),
    ]


def test_an_account_two_organismes_claim_or_a_bad_iban_is_refused_and_masked() -> None:
    bad = "FR7630003000701234567890380"
    account = CollectionAccount(iban=DEBIT_ACCOUNT, bic="X", purpose=AccountPurpose.TRANSFER)
    broken = CollectionAccount(iban=bad, bic="X", purpose=AccountPurpose.TRANSFER)
    mutuelle = _parameters(reference="000007/S455", collection_accounts=[account])
    mutuelle = mutuelle.model_copy(update={"organisme_code": "775678584"})
    frame, rejected = creditor_accounts_frame(
        [
            ContractTerms.from_parameters(mutuelle),
            _terms(collection_accounts=[account, broken]),
        ]
    )
    assert frame.is_empty()
    assert rejected == [
        ("000007/P123", "compte d'encaissement invalide (IBAN FR76…0380)"),
        ("775678584, P0942", "compte d'encaissement FR82…0380 déclaré par plusieurs organismes"),
    ]  # dsn_parser.masking.mask_account: first and last four characters only
