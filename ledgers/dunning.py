"""Dunning: where each overdue call stands on the road reminder → formal notice → suspension →
termination, as of a given date, and the late fees it has accrued.

Inputs: `calls` (`ledgers.calls.CALLS_SCHEMA`), `allocations` (`ledgers.allocation.
ALLOCATIONS_SCHEMA`; a payment counts from its date, a returned direct debit stops counting at
its return date), the contracts' terms (legal regime, late fee) and the date.

The day counts depend on the insurer's legal regime. The defaults below follow the Code des
assurances L.113-3 (formal notice no earlier than 10 days after the due date, cover suspended
30 days after the notice, contract terminable 10 days after the suspension); the institutions
de prévoyance (Code de la sécurité sociale L.932-9) and mutuelles (Code de la mutualité
L.221-7/L.221-8) are given the same counts. They are configurable defaults, *unconfirmed* in
detail: pass `schedules=` to change them; a contract whose parameter file agrees other day
counts (`dunning_days`) follows its own. The reminder (relance) is internal practice, not law.

A contract without parameter file (no terms given) has a provisional due date and
unknown terms: its calls are `provisional` and stop at the information stage (en retard), with
no reminder, notice, suspension or termination date and no late fee.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import polars as pl

from contracts.parameters import LegalRegime
from ledgers.contract_terms import ContractTerms, DunningSchedule, LateFeeRule
from ledgers.tables import DUNNING

__all__ = ["DEFAULT_SCHEDULES", "DUNNING_SCHEMA", "DunningSchedule", "Stage", "dunning_state"]


_CODE_DES_ASSURANCES = DunningSchedule(
    reminder_days_after_due=5,
    notice_days_after_due=10,
    suspension_days_after_notice=30,
    termination_days_after_suspension=10,
)
DEFAULT_SCHEDULES: Mapping[LegalRegime, DunningSchedule] = {
    LegalRegime.ENTREPRISE_ASSURANCE: _CODE_DES_ASSURANCES,
    LegalRegime.INSTITUTION_PREVOYANCE: _CODE_DES_ASSURANCES,  # L.932-9, unconfirmed
    LegalRegime.MUTUELLE: _CODE_DES_ASSURANCES,  # L.221-7, unconfirmed
}
# A contract the insurer has no parameter file for is dunned like an insurance company's.
_DEFAULT_REGIME = LegalRegime.ENTREPRISE_ASSURANCE


class Stage(StrEnum):
    SETTLED = "a_jour"
    NOT_DUE = "non_echu"
    LATE = "en_retard"
    REMINDER = "relance"
    FORMAL_NOTICE = "mise_en_demeure"
    SUSPENDED = "suspension"
    TERMINABLE = "resiliation"


STAGE_LABELS = {
    Stage.SETTLED: "À jour",
    Stage.NOT_DUE: "Non échu",
    Stage.LATE: "En retard",
    Stage.REMINDER: "Relance",
    Stage.FORMAL_NOTICE: "Mise en demeure",
    Stage.SUSPENDED: "Garanties suspendues",
    Stage.TERMINABLE: "Résiliation possible",
}

# The dunning state of each call; the store adds the date it is computed as of.
DUNNING_SCHEMA = DUNNING.polars_schema(exclude=("as_of",))

_CENT = Decimal("0.01")
# Stages that act on the company; a call of unknown terms never reaches them.
_ESCALATIONS = frozenset({Stage.REMINDER, Stage.FORMAL_NOTICE, Stage.SUSPENDED, Stage.TERMINABLE})


def dunning_state(
    calls: pl.DataFrame,
    allocations: pl.DataFrame,
    contracts: Iterable[ContractTerms],
    as_of: date,
    *,
    schedules: Mapping[LegalRegime, DunningSchedule] = DEFAULT_SCHEDULES,
) -> pl.DataFrame:
    """One row per call: what is still owed on `as_of`, the dunning dates and the stage reached."""
    terms = {t.contract_reference: t for t in contracts}
    payments: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for row in (
        allocations.filter(pl.col("call_id").is_not_null() & (pl.col("date") <= as_of))
        .sort("date", "allocation_id")
        .iter_rows(named=True)
    ):
        payments[row["call_id"]].append((row["date"], row["amount"]))
    rows = []
    for call in calls.sort("call_id").iter_rows(named=True):
        contract = terms.get(call["contract_reference"])
        regime = contract.legal_regime if contract else _DEFAULT_REGIME
        schedule = contract.dunning_schedule if contract else None
        rows.append(
            _call_state(
                call,
                payments.get(call["call_id"], []),
                regime,
                schedule or schedules[regime],
                contract.late_fee if contract else None,
                as_of,
                provisional=contract is None,
            )
        )
    return pl.DataFrame(rows, schema=DUNNING_SCHEMA)


def _call_state(
    call: dict[str, object],
    payments: list[tuple[date, Decimal]],
    regime: LegalRegime,
    schedule: DunningSchedule,
    late_fee: LateFeeRule | None,
    as_of: date,
    *,
    provisional: bool,
) -> dict[str, object]:
    due: date = call["due_date"]  # type: ignore[assignment]
    declared: Decimal = call["declared"]  # type: ignore[assignment]
    paid = sum((amount for _, amount in payments), Decimal(0))
    outstanding = declared - paid
    reminder = due + timedelta(days=schedule.reminder_days_after_due)
    notice = due + timedelta(days=schedule.notice_days_after_due)
    suspension = notice + timedelta(days=schedule.suspension_days_after_notice)
    termination = suspension + timedelta(days=schedule.termination_days_after_suspension)
    stage = _stage(outstanding, as_of, due, reminder, notice, suspension, termination)
    overdue = outstanding > 0 and as_of > due
    if provisional and stage in _ESCALATIONS:
        stage = Stage.LATE
    escalates = overdue and not provisional
    return {
        "call_id": call["call_id"],
        "siren": call["siren"],
        "contract_reference": call["contract_reference"],
        "population": call["population"],
        "period_code": call["period_code"],
        "legal_regime": str(regime),
        "due_date": due,
        "declared": declared,
        "paid": paid,
        "outstanding": outstanding,
        "days_overdue": (as_of - due).days if overdue else 0,
        "stage": str(stage),
        "stage_label": STAGE_LABELS[stage],
        "reminder_date": reminder if escalates else None,
        "notice_date": notice if escalates else None,
        "suspension_date": suspension if escalates else None,
        "termination_date": termination if escalates else None,
        "late_fee": _late_fee(late_fee, declared, payments, due, notice, as_of),
        "provisional": provisional,
    }


def _stage(
    outstanding: Decimal,
    as_of: date,
    due: date,
    reminder: date,
    notice: date,
    suspension: date,
    termination: date,
) -> Stage:
    if outstanding <= 0:
        return Stage.SETTLED
    milestones = [
        (termination, Stage.TERMINABLE),
        (suspension, Stage.SUSPENDED),
        (notice, Stage.FORMAL_NOTICE),
        (reminder, Stage.REMINDER),
    ]
    reached = next((stage for day, stage in milestones if as_of >= day), None)
    if reached is not None:
        return reached
    return Stage.LATE if as_of > due else Stage.NOT_DUE


def _late_fee(
    rule: LateFeeRule | None,
    declared: Decimal,
    payments: list[tuple[date, Decimal]],
    due: date,
    notice: date,
    as_of: date,
) -> Decimal:
    """Simple interest on what was owed each day after the due date up to `as_of` (payments and
    returns change the amount owed from their date), plus the flat fee if the call was still
    unpaid on the formal-notice date. Rounded half-up to the cent."""
    if rule is None or as_of <= due:
        return Decimal("0.00")
    owed_days = Decimal(0)  # Σ amount owed × days
    owed = declared - sum((a for d, a in payments if d <= due), Decimal(0))
    day = due
    for paid_on, amount in [(d, a) for d, a in payments if d > due] + [(as_of, Decimal(0))]:
        owed_days += max(owed, Decimal(0)) * (paid_on - day).days
        owed -= amount
        day = paid_on
    interest = owed_days * rule.annual_rate_percent / 100 / 365
    owed_on_notice = declared - sum((a for d, a in payments if d <= notice), Decimal(0))
    flat = rule.flat_amount if as_of >= notice and owed_on_notice > 0 else Decimal(0)
    return (interest + flat).quantize(_CENT, rounding=ROUND_HALF_UP)
