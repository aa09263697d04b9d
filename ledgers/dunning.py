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
from datetime import date
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
    """One row per call: what is still owed on `as_of`, the dunning dates and the stage reached.
    Vectorised (every call is dunned again each night, since `as_of` moves); the late fee alone
    is computed call by call, for the calls that can owe one (`_may_owe_late_fee`)."""
    payments = allocations.filter(pl.col("call_id").is_not_null() & (pl.col("date") <= as_of))
    paid = payments.group_by("call_id").agg(pl.col("amount").sum().alias("paid"))
    state = (
        calls.sort("call_id")
        .join(_terms_frame(contracts, schedules), on="contract_reference", how="left")
        .join(paid, on="call_id", how="left")
        .with_columns(
            pl.col("provisional").fill_null(True),
            pl.col("legal_regime").fill_null(str(_DEFAULT_REGIME)),
            *(
                pl.col(name).fill_null(days)
                for name, days in _days(schedules[_DEFAULT_REGIME]).items()
            ),
            pl.col("paid").fill_null(0),
        )
        .with_columns(outstanding=pl.col("declared") - pl.col("paid"))
        .with_columns(_milestones())
        .with_columns(
            overdue=(pl.col("outstanding") > 0) & (pl.lit(as_of) > pl.col("due_date")),
            stage=_stage_of(as_of),
        )
    )
    escalates = pl.col("overdue") & ~pl.col("provisional")
    return (
        state.join(_late_fees(state, payments, contracts, as_of), on="call_id", how="left")
        .with_columns(
            days_overdue=pl.when(pl.col("overdue"))
            .then((pl.lit(as_of) - pl.col("due_date")).dt.total_days())
            .otherwise(0),
            stage_label=pl.col("stage").replace_strict(
                {str(stage): label for stage, label in STAGE_LABELS.items()}
            ),
            reminder_date=pl.when(escalates).then("reminder_date"),
            notice_date=pl.when(escalates).then("notice_date"),
            suspension_date=pl.when(escalates).then("suspension_date"),
            termination_date=pl.when(escalates).then("termination_date"),
            late_fee=pl.col("late_fee").fill_null(0),
        )
        .select(list(DUNNING_SCHEMA))
        .cast(DUNNING_SCHEMA)
    )


def _days(schedule: DunningSchedule) -> dict[str, int]:
    return {
        "_reminder_days": schedule.reminder_days_after_due,
        "_notice_days": schedule.notice_days_after_due,
        "_suspension_days": schedule.suspension_days_after_notice,
        "_termination_days": schedule.termination_days_after_suspension,
    }


def _terms_frame(
    contracts: Iterable[ContractTerms], schedules: Mapping[LegalRegime, DunningSchedule]
) -> pl.DataFrame:
    """Per contract reference (its last terms), its regime and day counts; the calls of a
    contract not listed are provisional."""
    terms = {t.contract_reference: t for t in contracts}
    rows = [
        {
            "contract_reference": reference,
            "legal_regime": str(t.legal_regime),
            "provisional": False,
            **_days(t.dunning_schedule or schedules[t.legal_regime]),
        }
        for reference, t in terms.items()
    ]
    schema = {
        "contract_reference": pl.String(),
        "legal_regime": pl.String(),
        "provisional": pl.Boolean(),
        **dict.fromkeys(_days(_CODE_DES_ASSURANCES), pl.Int64()),
    }
    return pl.DataFrame(rows, schema=schema)


def _milestones() -> list[pl.Expr]:
    due, days = pl.col("due_date"), pl.duration
    notice = due + days(days=pl.col("_notice_days"))
    suspension = notice + days(days=pl.col("_suspension_days"))
    return [
        (due + days(days=pl.col("_reminder_days"))).alias("reminder_date"),
        notice.alias("notice_date"),
        suspension.alias("suspension_date"),
        (suspension + days(days=pl.col("_termination_days"))).alias("termination_date"),
    ]


def _stage_of(as_of: date) -> pl.Expr:
    """The stage reached on `as_of`: the last milestone passed while something is owed; a
    provisional call is held at the information stage."""
    day = pl.lit(as_of)
    stage = (
        pl.when(pl.col("outstanding") <= 0)
        .then(pl.lit(str(Stage.SETTLED)))
        .when(day >= pl.col("termination_date"))
        .then(pl.lit(str(Stage.TERMINABLE)))
        .when(day >= pl.col("suspension_date"))
        .then(pl.lit(str(Stage.SUSPENDED)))
        .when(day >= pl.col("notice_date"))
        .then(pl.lit(str(Stage.FORMAL_NOTICE)))
        .when(day >= pl.col("reminder_date"))
        .then(pl.lit(str(Stage.REMINDER)))
        .when(day > pl.col("due_date"))
        .then(pl.lit(str(Stage.LATE)))
        .otherwise(pl.lit(str(Stage.NOT_DUE)))
    )
    escalated = stage.is_in([str(s) for s in _ESCALATIONS])
    return pl.when(pl.col("provisional") & escalated).then(pl.lit(str(Stage.LATE))).otherwise(stage)


def _late_fees(
    state: pl.DataFrame, payments: pl.DataFrame, contracts: Iterable[ContractTerms], as_of: date
) -> pl.DataFrame:
    """`_late_fee` of the calls that can owe one (call_id, late_fee): due before `as_of` under a
    contract with a late fee rule, and paid after their due date or not in full by it. The
    others owe nothing on any day past due nor on the notice date: 0.00."""
    rules = {t.contract_reference: t.late_fee for t in contracts}  # the last terms, as the calls
    due = state.filter(
        pl.col("contract_reference").is_in([c for c, rule in rules.items() if rule is not None])
        & (pl.col("due_date") < as_of)
    ).select("call_id", "contract_reference", "declared", "due_date", "notice_date")
    paid = payments.select("call_id", "date", "amount", "allocation_id").join(
        due.select("call_id", "due_date"), on="call_id"
    )
    on_time = paid.group_by("call_id").agg(
        by_due=pl.col("amount").filter(pl.col("date") <= pl.col("due_date")).sum(),
        late=(pl.col("date") > pl.col("due_date")).any(),
    )
    owing = due.join(on_time, on="call_id", how="left").filter(
        pl.col("late").fill_null(False) | (pl.col("declared") - pl.col("by_due").fill_null(0) > 0)
    )
    by_call: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    chosen = paid.filter(pl.col("call_id").is_in(owing["call_id"].implode()))
    for call_id, day, amount in (
        chosen.sort("date", "allocation_id").select("call_id", "date", "amount").iter_rows()
    ):
        by_call[call_id].append((day, amount))
    fees = [
        (
            call["call_id"],
            _late_fee(
                rules[call["contract_reference"]],
                call["declared"],
                by_call[call["call_id"]],
                call["due_date"],
                call["notice_date"],
                as_of,
            ),
        )
        for call in owing.iter_rows(named=True)
    ]
    return pl.DataFrame(
        fees, schema={"call_id": pl.String(), "late_fee": DUNNING_SCHEMA["late_fee"]}, orient="row"
    )


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
