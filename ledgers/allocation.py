"""Lettrage: bank movements allocated to calls of contributions, by ordered rules.

Inputs (Polars frames; amounts `Decimal(18, 2)`):

`calls` — `ledgers.calls.CALLS_SCHEMA` (call_id, call_reference, siren, organisme_code,
contract_reference, population, period_code, period_start, declared, due_date are used).

`movements` — bank transactions as `payment_files.transactions_frame` gives them. Used:
    movement_id (stable across deliveries), amount (signed: credit positive), value_date,
    booking_date, status (BOOK, PDNG, INFO), end_to_end_id, mandate_id, creditor_reference,
    remittance_lines (list), debtor_name, debtor_iban, is_return, reversal; optional:
    account_iban (our account that received it), file_id, line, entry_reference, bank_label,
    additional_info (list).
  A booked return (R-transaction) is a debit with `is_return`, carrying the original payment's
  end-to-end id and mandate id. Other debits (fees, outgoing transfers) and pending or
  informational entries are not contributions: they are left out, and listed as such.

`declared_payments` (optional) — one row per S21.G00.55 component of a S21.G00.20 payment:
    declared_payment_id (String, stable), siren, organisme_code (20.001, optional),
    iban (20.004), payment_total (20.005), contract_reference (55.003), population (55.002),
    period_code (55.004), amount (55.001).

`mandates` (optional) — SEPA mandates: mandate_id, siren, contract_reference (null: any).

`companies` (optional) — siren, name: to recognise a payer by name
(`ledgers.contract_terms.companies_frame`).

`creditor_accounts` (optional) — account_iban, organisme_code: the insurer's own collection
accounts; money received on an organisme's account pays that organisme's calls only.

The rules, in order. First the payer (and sometimes the calls) is identified:
  1. reference: one of our call references (`<contract>-<period>`) in the end-to-end id, the
     creditor reference or the remittance text → those calls (score 100); a contract
     reference alone → that contract (95); a known mandate id → its company and contract (95);
  2. payer: the debtor IBAN declared in S21.G00.20.004 (90; 80 when several companies declare
     it), then a valid SIREN/SIRET of a known company in the text (85 SIRET, 80 SIREN), then the
     debtor name equal to a company's name (60).
Then the amount picks among the payer's open calls and declared payments not yet matched —
those of the periods the text names (`2024T01`, `2024M03`) when it names some (the score above
is multiplied by the factor in brackets):
  3. exactly a declared payment's total, spread as its S21.G00.55 components say, or exactly
     what is outstanding on one contract period (1.0); else a combination of at most
     `MAX_COMBINATION` of the `COMBINATION_WINDOW` oldest declared payments, then of open
     contract periods, that adds up exactly (0.9); else, when the text names the period of a
     single declared payment, along its components (partial or excessive payment, 0.9); else
     oldest period first, partial allowed (0.7). Ties go to what a returned direct debit
     reopened, then to the period the text names, then to the due date nearest the value date.
What is left (overpayment, no open call) stays as unallocated credit on the company; a payer
nobody recognises goes to the suspense account (siren null). Nothing is written off.

A returned direct debit reverses the allocations of the movement it returns (found by
end-to-end id, else mandate, else debtor IBAN; the same amount preferred) and reopens its calls
and its declared payment. A movement delivered twice (same movement_id) counts once. Movements
are processed by value date, then returns first, then movement id: the result does not depend
on input row order.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

import polars as pl
from stdnum import iso11649
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

from ledgers.calls import AMOUNT
from ledgers.periods import Period, PeriodCodeError
from ledgers.tables import ALLOCATIONS, DUPLICATE_MOVEMENTS, IGNORED_MOVEMENTS, MOVEMENT_PAYERS

__all__ = [
    "ALLOCATIONS_SCHEMA",
    "MOVEMENT_PAYERS_SCHEMA",
    "AllocationResult",
    "Entry",
    "Lettrage",
    "book_keys",
    "company_keys",
]

MAX_COMBINATION = 4
COMBINATION_WINDOW = 12
_ZERO = Decimal(0)
_NOT_PROVIDED = "NOTPROVIDED"
_IGNORED_STATUSES = ("PDNG", "INFO")


class Entry(StrEnum):
    """Kinds of allocation rows."""

    CALL = "affectation"  # money on a call
    CREDIT = "credit_non_affecte"  # money of a known company on no call
    SUSPENSE = "attente"  # money of an unknown payer (siren null)
    REVERSAL = "annulation"  # a returned payment undoing an earlier row


ALLOCATIONS_SCHEMA = ALLOCATIONS.polars_schema()

IGNORED_SCHEMA = IGNORED_MOVEMENTS.polars_schema()

MOVEMENT_PAYERS_SCHEMA = MOVEMENT_PAYERS.polars_schema()

DUPLICATES_SCHEMA = DUPLICATE_MOVEMENTS.polars_schema()

_MOVEMENT_COLUMNS = pl.Schema(
    {
        "movement_id": pl.String(),
        "account_iban": pl.String(),
        "file_id": pl.String(),
        "line": pl.UInt32(),
        "amount": AMOUNT,
        "value_date": pl.Date(),
        "booking_date": pl.Date(),
        "status": pl.String(),
        "end_to_end_id": pl.String(),
        "mandate_id": pl.String(),
        "creditor_reference": pl.String(),
        "entry_reference": pl.String(),
        "bank_label": pl.String(),
        "remittance_lines": pl.List(pl.String()),
        "additional_info": pl.List(pl.String()),
        "debtor_name": pl.String(),
        "debtor_iban": pl.String(),
        "is_return": pl.Boolean(),
        "reversal": pl.Boolean(),
    }
)


@dataclass(frozen=True)
class AllocationResult:
    allocations: pl.DataFrame  # ALLOCATIONS_SCHEMA
    movements: pl.DataFrame  # the movements allocated, once each (credits and returns)
    ignored: pl.DataFrame  # movements left out, with the reason (IGNORED_SCHEMA)
    duplicates: pl.DataFrame  # movement ids delivered more than once (DUPLICATES_SCHEMA)


class Lettrage:
    """The movements deduplicated and sorted out, and the book of every company's calls: what
    each movement can touch (`links`), then the posting of all of them or of some (`post`)."""

    def __init__(
        self,
        calls: pl.DataFrame,
        movements: pl.DataFrame,
        *,
        declared_payments: pl.DataFrame | None = None,
        mandates: pl.DataFrame | None = None,
        companies: pl.DataFrame | None = None,
        creditor_accounts: pl.DataFrame | None = None,
    ) -> None:
        once, self.duplicates = _deduplicate(_movement_columns(movements))
        self.considered, self.ignored = _split_considered(once)
        self._book_inputs = (calls, declared_payments, mandates, companies, creditor_accounts)

    @cached_property
    def book(self) -> _Book:
        """Built on first use: a night that posts and links nothing needs none."""
        calls, declared, mandates, companies, accounts = self._book_inputs
        return _Book(calls, declared, _rows(mandates), _rows(companies), _rows(accounts))

    def payers(self, movement_ids: Collection[str] | None = None) -> pl.DataFrame:
        """Who can have paid each considered movement (every one, or those of `movement_ids`):
        `sirens`, every company a payer rule recognises, whether that rule wins, loses to an
        earlier one or is ambiguous (one more company recognised the same way changes which
        rule wins, or sends the movement to suspense), and `keys`, what the rules look up
        (`_movement_keys`), so that a night can tell which movements a change of the book's
        companies may identify differently (MOVEMENT_PAYERS_SCHEMA)."""
        movements = self.considered
        if movement_ids is not None:
            movements = movements.filter(pl.col("movement_id").is_in(sorted(movement_ids)))
        rows = []
        for movement in movements.iter_rows(named=True):
            keys = _movement_keys(movement, self.book.reference_tokens(movement))
            rows.append((str(movement["movement_id"]), self.book.candidates(movement, keys), keys))
        return pl.DataFrame(rows, schema=MOVEMENT_PAYERS_SCHEMA, orient="row")

    def remember_tokens(self, tokens: dict[str, set[str]]) -> None:
        """The reference words of movements as an earlier night read them (the `ref:` keys of
        their `payers`), for the posting to use instead of tokenising their text again: the
        same words, since a movement whose text changed is read again (`_reference_tokens`
        was a fifth of the posting at 100,000 employees)."""
        self.book.tokens.update(tokens)

    def return_links(self) -> pl.DataFrame:
        """For each considered debit (a return), every credit sharing one of its return keys
        (`_return_keys`), among which is the one it gives back (movement_id,
        linked_movement_id): joined in Polars, since a night links every movement."""
        keyed = pl.concat(
            [
                self.considered.select(
                    "movement_id",
                    returned=pl.col("amount") < 0,
                    column=pl.lit(column),
                    value=pl.col(column),
                )
                for column in _RETURN_KEY_COLUMNS
            ]
        ).filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(["", _NOT_PROVIDED]))
        compacted = {value: _compact(value) for value in keyed["value"].unique()}
        keyed = keyed.with_columns(
            key=pl.col("value").replace_strict(compacted, return_dtype=pl.String())
        )
        credits = keyed.filter(pl.col("returned").not_()).select(
            "column", "key", linked_movement_id="movement_id"
        )
        return (
            keyed.filter("returned")
            .join(credits, on=["column", "key"])
            .select("movement_id", "linked_movement_id")
        )

    def post(self, movement_ids: Collection[str] | None = None) -> AllocationResult:
        """Post every movement, or only `movement_ids` (the others are still counted, ignored or
        listed as duplicates): their rows are exactly those of a posting of every movement when
        the ids are closed under the companies of their `payers` and their `return_links`, and
        the book holds every company's calls. Once."""
        posted = self.considered
        if movement_ids is not None:
            posted = posted.filter(pl.col("movement_id").is_in(sorted(movement_ids)))
        for movement in _in_posting_order(posted).iter_rows(named=True):
            self.book.post(movement)
        return AllocationResult(
            allocations=pl.DataFrame(
                self.book.rows if posted.height else [], schema=ALLOCATIONS_SCHEMA
            ),
            movements=self.considered.sort("movement_id"),
            ignored=self.ignored.cast(IGNORED_SCHEMA).sort("movement_id"),
            duplicates=self.duplicates,
        )


def _split_considered(once: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The movements to post and those left out, with the reason."""
    relevant = (
        (pl.col("amount") > 0)
        | pl.col("is_return").fill_null(False)
        | pl.col("reversal").fill_null(False)
    )
    booked = pl.col("status").is_null() | ~pl.col("status").is_in(_IGNORED_STATUSES)
    dated = pl.col("value_date").is_not_null() | pl.col("booking_date").is_not_null()
    considered = once.filter(relevant & booked & dated)
    ignored = once.filter(~(relevant & booked & dated)).select(
        "movement_id",
        "amount",
        pl.when(~booked)
        .then(pl.lit("Écriture non comptabilisée (en attente ou pour information)"))
        .when(~dated)
        .then(pl.lit("Écriture sans date de valeur ni date de comptabilisation"))
        .otherwise(pl.lit("Débit sans lien avec une cotisation"))
        .alias("reason"),
    )
    return considered, ignored


def _in_posting_order(movements: pl.DataFrame) -> pl.DataFrame:
    """By value date, returns first, then movement id: the result does not depend on input
    row order."""
    return movements.with_columns(
        pl.coalesce("value_date", "booking_date").alias("_date"),
        (pl.col("amount") < 0).alias("_return"),
    ).sort("_date", "_return", "movement_id", descending=[False, True, False], nulls_last=True)


def _movement_columns(movements: pl.DataFrame) -> pl.DataFrame:
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in _MOVEMENT_COLUMNS.items()
        if name not in movements.columns
    ]
    return movements.with_columns(missing).select(list(_MOVEMENT_COLUMNS)).cast(_MOVEMENT_COLUMNS)


def _deduplicate(movements: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per movement id: the booked copy if any, then the first file and line."""
    preference = movements.sort(
        "movement_id",
        pl.col("status").fill_null("BOOK") != "BOOK",
        "file_id",
        "line",
        nulls_last=True,
    )
    once = preference.unique("movement_id", keep="first", maintain_order=True)
    duplicates = (
        movements.group_by("movement_id")
        .agg(pl.len().cast(pl.UInt32).alias("copies"))
        .filter(pl.col("copies") > 1)
        .sort("movement_id")
    )
    return once, duplicates.cast(DUPLICATES_SCHEMA)


def _rows(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    return [] if frame is None else frame.to_dicts()


# ---------------------------------------------------------------------------------------------
# The state of the ledger while movements are posted one by one


@dataclass
class _Call:
    call_id: str
    call_reference: str
    siren: str
    organisme_code: str | None
    contract_reference: str
    population: str | None
    period_code: str
    period_start: date
    due_date: date
    outstanding: Decimal
    contract_key: str  # the contract reference as a payer rule names it (`_compact`)
    position: int = 0  # in its company's calls (`_Book.by_siren`), set as they are loaded

    @property
    def group(self) -> tuple[str, str, str]:
        """A contract period of a company: what one payment usually settles."""
        return (self.siren, self.contract_reference, self.period_code)

    @property
    def order(self) -> tuple[date, str, str, str]:
        """Oldest period first, then contract and population."""
        return (self.period_start, self.contract_reference, self.population or "", self.call_id)


@dataclass(frozen=True)
class _Payer:
    """Who paid, as the first rule that recognised them says: the company (several when they
    share a declared IBAN), sometimes the contract, or the very calls a reference names."""

    rule: str
    score: int
    sirens: tuple[str, ...]
    contract: str | None = None
    call_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Component:
    """A S21.G00.55 component: what part of a declared payment is for which contract period."""

    period_code: str
    contract_reference: str
    population: str | None
    amount: Decimal


@dataclass
class _DeclaredPayment:
    declared_payment_id: str
    siren: str
    organisme_code: str | None
    total: Decimal
    components: list[_Component] = field(default_factory=list)
    first_period: date = date.max
    used: bool = False
    position: int = 0  # in its company's payments (`_DeclaredBySiren.payable`)

    # cached: read for every open payment each time a movement is posted, once the components
    # are complete (`_declared_payments`)
    @cached_property
    def periods(self) -> frozenset[str]:
        return frozenset(c.period_code for c in self.components)

    @cached_property
    def contracts(self) -> frozenset[str]:
        return frozenset(_compact(c.contract_reference) for c in self.components)

    @cached_property
    def groups(self) -> tuple[tuple[str, str, str], ...]:
        """The contract periods of its components, as `_Call.group` names them."""
        return tuple((self.siren, c.contract_reference, c.period_code) for c in self.components)


@dataclass(frozen=True)
class _Rule:
    """How an allocation row was decided: who paid, how the amount was placed, how sure."""

    payer_rule: str
    amount_rule: str
    score: int


@dataclass(frozen=True)
class _Target:
    """Where part of a movement goes: a call (call_id) or, when None, unallocated credit."""

    call_id: str | None
    amount: Decimal
    amount_rule: str
    factor: Decimal
    declared_payment_id: str | None = None


class _Book:
    def __init__(
        self,
        calls: pl.DataFrame,
        declared_payments: pl.DataFrame | None,
        mandates: list[dict[str, Any]],
        companies: list[dict[str, Any]],
        creditor_accounts: list[dict[str, Any]],
    ) -> None:
        ordered = calls.sort("call_id")
        # the calls turned into objects per company on its first use (`_load`): a night posts
        # to the few companies it recomputes, while the book indexes every company's calls
        self._call_rows = _RowsBy(ordered, "siren")
        self.calls: dict[str, _Call] = {}
        self.by_siren: dict[str, list[_Call]] = {}
        # per company, the position in `by_siren` of its first call possibly still owed
        self.first_owed: dict[str, int] = {}
        self.by_group: dict[tuple[str, str, str], list[_Call]] = defaultdict(list)
        # calls still owed per contract period, kept as they are paid and reopened (`_owe`)
        self.open_in_group: dict[tuple[str, str, str], int] = defaultdict(int)
        ids, sirens, references = (
            ordered[column].to_list() for column in ("call_id", "siren", "call_reference")
        )
        self.call_siren: dict[str, str] = dict(zip(ids, sirens, strict=True))
        self.by_reference: dict[str, list[str]] = defaultdict(list)
        # a reference is shared by the calls of a contract period's populations: read once
        keys = {r: (_compact(r), _alphanumeric(r)) for r in dict.fromkeys(references)}
        for call_id, reference in zip(ids, references, strict=True):
            compact, alphanumeric = keys[reference]
            self.by_reference[compact].append(call_id)
            # a structured creditor reference (RF…) keeps only letters and digits
            self.by_reference[alphanumeric].append(call_id)
        self.by_contract: dict[str, set[str]] = defaultdict(set)
        for contract, siren in ordered.select("contract_reference", "siren").unique().iter_rows():
            self.by_contract[_compact(contract)].add(siren)
        self.declared = _DeclaredBySiren(declared_payments, self.open_in_group)
        self.ibans: dict[str, set[str]] = defaultdict(set)
        if declared_payments is not None and "iban" in declared_payments.columns:
            paying = declared_payments.filter(pl.col("iban").is_not_null() & (pl.col("iban") != ""))
            for iban, siren in paying.select("iban", "siren").unique().iter_rows():
                self.ibans[_compact(str(iban))].add(str(siren))
        self.mandates: dict[str, tuple[str, str | None]] = {
            _compact(str(m["mandate_id"])): (str(m["siren"]), m.get("contract_reference"))
            for m in sorted(mandates, key=lambda m: str(m["mandate_id"]))
        }
        self.sirens = set(self.call_siren.values()) | {str(c["siren"]) for c in companies}
        self.names: dict[str, set[str]] = defaultdict(set)
        for company in companies:
            if company.get("name"):
                self.names[_normalise_name(str(company["name"]))].add(str(company["siren"]))
        self.rows: list[dict[str, Any]] = []
        self.rows_by_movement: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.credits_by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.organismes: dict[str, str] = {
            _compact(str(a["account_iban"])): str(a["organisme_code"]) for a in creditor_accounts
        }
        self.payers: dict[str, _Payer | None] = {}
        self.tokens: dict[str, set[str]] = {}
        self.returned: set[str] = set()
        self.reopened: set[str] = set()  # calls reopened by a returned direct debit
        self.reopened_declared: set[str] = set()  # declared payments it paid

    # -- posting ----------------------------------------------------------------------------

    def post(self, movement: dict[str, Any]) -> None:
        if movement["_return"]:
            self._post_return(movement)
        else:
            self._post_credit(movement)

    def _post_credit(self, movement: dict[str, Any]) -> None:
        amount: Decimal = movement["amount"]
        payer = self.identify(movement)
        if payer is None:
            self._write(movement, _Rule("payeur_inconnu", "", 0), amount, siren=None)
        else:
            only_siren = payer.sirens[0] if len(payer.sirens) == 1 else None
            for target in self._targets(payer, movement):
                rule = _Rule(payer.rule, target.amount_rule, int(payer.score * target.factor))
                if target.call_id is not None:
                    call = self._call(target.call_id)
                    self._owe(call, -target.amount)
                    self.reopened.discard(call.call_id)
                    self._write(
                        movement,
                        rule,
                        target.amount,
                        siren=call.siren,
                        call=call,
                        declared_payment_id=target.declared_payment_id,
                    )
                    continue
                if only_siren is None:  # several companies could have paid, no call told
                    rule = _Rule(f"{payer.rule}_ambigu", target.amount_rule, 0)
                self._write(movement, rule, target.amount, siren=only_siren)
        for key in _return_keys(movement):
            self.credits_by_key[key].append(movement)

    def _post_return(self, movement: dict[str, Any]) -> None:
        amount: Decimal = movement["amount"]
        original = self._original_of(movement, -amount)
        if original is None:  # keep it visible as a debit on the company (or in suspense)
            payer = self.identify(movement)
            if payer is not None and len(payer.sirens) == 1:
                rule = _Rule(payer.rule, "retour_non_rapproche", payer.score)
                self._write(movement, rule, amount, siren=payer.sirens[0])
            else:
                rule = _Rule("payeur_inconnu", "retour_non_rapproche", 0)
                self._write(movement, rule, amount, siren=None)
            return
        self.returned.add(str(original["movement_id"]))
        to_reverse = -amount
        reversal = _Rule("retour_prelevement", "annulation", 100)
        for earlier in reversed(self.rows_by_movement[str(original["movement_id"])]):
            part = min(earlier["amount"], to_reverse)
            if part <= _ZERO:
                continue
            to_reverse -= part
            call = self._call(earlier["call_id"]) if earlier["call_id"] else None
            if call is not None:
                self._owe(call, part)
                self.reopened.add(call.call_id)
            if (declared_id := earlier["declared_payment_id"]) is not None:
                self.declared.reopen(declared_id)
                self.reopened_declared.add(declared_id)
            self._write(
                movement,
                reversal,
                -part,
                siren=earlier["siren"],
                call=call,
                declared_payment_id=declared_id,
                reverses=str(earlier["allocation_id"]),
            )
        if to_reverse > _ZERO:  # returned more than was received: keep the excess visible
            rule = _Rule("retour_prelevement", "retour_excedentaire", 100)
            self._write(movement, rule, -to_reverse, siren=self._siren_of(original))

    def _load(self, siren: str) -> list[_Call]:
        """The company's calls (oldest period first: `_Call.order`), turned into objects and
        indexed by contract period on first use."""
        loaded = self.by_siren.get(siren)
        if loaded is not None:
            return loaded
        loaded = self.by_siren[siren] = []
        rows = self._call_rows.get(siren)
        for row in () if rows is None else rows.iter_rows(named=True):
            call = _Call(
                call_id=row["call_id"],
                call_reference=row["call_reference"],
                siren=row["siren"],
                organisme_code=row["organisme_code"],
                contract_reference=row["contract_reference"],
                population=row["population"],
                period_code=row["period_code"],
                period_start=row["period_start"],
                due_date=row["due_date"],
                outstanding=row["declared"],
                contract_key=_compact(row["contract_reference"]),
            )
            loaded.append(call)
            self.calls[call.call_id] = call
            self.by_group[call.group].append(call)
            self.open_in_group[call.group] += call.outstanding > _ZERO
        # in the order `_open_calls` gives them, so that each movement filters without sorting
        loaded.sort(key=lambda c: c.order)
        for position, call in enumerate(loaded):
            call.position = position
        self.first_owed[siren] = 0
        return loaded

    def _owed(self, siren: str) -> list[_Call]:
        """The company's calls still owed, in `_Call.order`: read from its first call owed
        (`first_owed`: moved forward here past the calls paid since, back by `_owe` when one
        reopens), since a company's old calls are mostly paid and each movement asks again."""
        loaded = self._load(siren)
        first = self.first_owed[siren]
        while first < len(loaded) and loaded[first].outstanding <= _ZERO:
            first += 1
        self.first_owed[siren] = first
        return [call for call in loaded[first:] if call.outstanding > _ZERO]

    def _call(self, call_id: str) -> _Call:
        self._load(self.call_siren[call_id])
        return self.calls[call_id]

    def _owe(self, call: _Call, amount: Decimal) -> None:
        """`amount` more owed on `call` (less when negative), its period's open calls counted."""
        was_open = call.outstanding > _ZERO
        call.outstanding += amount
        now_open = call.outstanding > _ZERO
        if now_open == was_open:
            return
        self.open_in_group[call.group] += now_open - was_open
        if now_open and call.position < self.first_owed[call.siren]:
            self.first_owed[call.siren] = call.position
        self.declared.owed_changed(call.group)

    def _siren_of(self, movement: dict[str, Any]) -> str | None:
        sirens = {r["siren"] for r in self.rows_by_movement[str(movement["movement_id"])]}
        return next(iter(sirens)) if len(sirens) == 1 else None

    def _original_of(self, movement: dict[str, Any], amount: Decimal) -> dict[str, Any] | None:
        """The credit this return gives back, found by end-to-end id, else mandate, else debtor
        IBAN (the first key that finds credits decides): the latest one not yet returned, of
        the same amount if there is one."""
        for key in _return_keys(movement):
            candidates = [
                m
                for m in self.credits_by_key.get(key, [])
                if str(m["movement_id"]) not in self.returned
            ]
            if candidates:
                same_amount = [m for m in candidates if m["amount"] == amount]
                return (same_amount or candidates)[-1]
        return None

    def _write(
        self,
        movement: dict[str, Any],
        rule: _Rule,
        amount: Decimal,
        *,
        siren: str | None,
        call: _Call | None = None,
        declared_payment_id: str | None = None,
        reverses: str | None = None,
    ) -> None:
        if call is not None:
            entry = Entry.REVERSAL if reverses else Entry.CALL
        elif siren is None:
            entry = Entry.SUSPENSE
        else:
            entry = Entry.REVERSAL if reverses else Entry.CREDIT
        movement_id = str(movement["movement_id"])
        own = self.rows_by_movement[movement_id]
        row: dict[str, Any] = {
            "allocation_id": f"{movement_id}#{len(own) + 1}",
            "movement_id": movement_id,
            "entry": str(entry),
            "siren": siren,
            "call_id": call.call_id if call else None,
            "contract_reference": call.contract_reference if call else None,
            "population": call.population if call else None,
            "period_code": call.period_code if call else None,
            "amount": amount,
            "date": movement["_date"],
            "payer_rule": rule.payer_rule,
            "amount_rule": rule.amount_rule,
            "score": max(0, min(100, rule.score)),
            "declared_payment_id": declared_payment_id,
            "reverses_allocation_id": reverses,
        }
        own.append(row)
        self.rows.append(row)

    # -- who paid ---------------------------------------------------------------------------

    def identify(self, movement: dict[str, Any]) -> _Payer | None:
        """The payer of a movement, by the first rule that recognises it; from the book's
        indexes only, so the same whatever was posted before (kept per movement id)."""
        movement_id = str(movement["movement_id"])
        if movement_id not in self.payers:
            self.payers[movement_id] = self._first_payer(movement)
        return self.payers[movement_id]

    def _first_payer(self, movement: dict[str, Any]) -> _Payer | None:
        return next(
            (
                payer
                for rule in (
                    self._by_reference,
                    self._by_mandate,
                    self._by_iban,
                    self._by_company_number,
                    self._by_name,
                )
                if (payer := rule(movement)) is not None
            ),
            None,
        )

    def reference_tokens(self, movement: dict[str, Any]) -> set[str]:
        """`_reference_tokens`, kept per movement id: the keys and the rules both read them."""
        movement_id = str(movement["movement_id"])
        if movement_id not in self.tokens:
            self.tokens[movement_id] = _reference_tokens(movement)
        return self.tokens[movement_id]

    def candidates(self, movement: dict[str, Any], keys: list[str]) -> list[str]:
        """Every company a payer rule recognises in the movement (its `_movement_keys`, mandate
        and name), winning or not, ambiguous or not: the companies whose books can decide
        where the movement goes."""
        sirens: set[str] = set()
        for key in keys:
            kind, _, value = key.partition(":")
            if kind == "ref":
                sirens.update(self.call_siren[c] for c in self.by_reference.get(value, ()))
                sirens.update(self.by_contract.get(value, ()))
            elif kind == "iban":
                sirens.update(self.ibans.get(value, ()))
            elif value in self.sirens:
                sirens.add(value)
        mandate = movement.get("mandate_id")
        if mandate and (found := self.mandates.get(_compact(str(mandate)))) is not None:
            sirens.add(found[0])
        name = movement.get("debtor_name")
        if name:
            sirens.update(self.names.get(_normalise_name(str(name)), ()))
        return sorted(sirens)

    def _by_reference(self, movement: dict[str, Any]) -> _Payer | None:
        call_ids: set[str] = set()
        contracts: set[str] = set()
        for token in self.reference_tokens(movement):
            call_ids.update(self.by_reference.get(token, ()))
            if token in self.by_contract:
                contracts.add(token)
        if call_ids:
            sirens = tuple(sorted({self.call_siren[c] for c in call_ids}))
            return _Payer("reference_appel", 100, sirens, call_ids=tuple(sorted(call_ids)))
        if len(contracts) == 1:
            contract = next(iter(contracts))
            sirens = tuple(sorted(self.by_contract[contract]))
            return _Payer("reference_contrat", 95, sirens, contract=contract)
        return None

    def _by_mandate(self, movement: dict[str, Any]) -> _Payer | None:
        mandate = movement.get("mandate_id")
        if not mandate or (found := self.mandates.get(_compact(str(mandate)))) is None:
            return None
        siren, contract = found
        return _Payer("mandat", 95, (siren,), contract=_compact(contract) if contract else None)

    def _by_iban(self, movement: dict[str, Any]) -> _Payer | None:
        iban = movement.get("debtor_iban")
        sirens = self.ibans.get(_compact(str(iban))) if iban else None
        if not sirens:
            return None
        return _Payer("iban_declare", 90 if len(sirens) == 1 else 80, tuple(sorted(sirens)))

    def _by_company_number(self, movement: dict[str, Any]) -> _Payer | None:
        siret_sirens, siren_numbers = _company_numbers(movement)
        found_siret = siret_sirens & self.sirens
        found_siren = siren_numbers & self.sirens
        if len(found_siret) == 1:
            return _Payer("siret_libelle", 85, tuple(found_siret))
        if len(found_siren) == 1:
            return _Payer("siren_libelle", 80, tuple(found_siren))
        return None

    def _by_name(self, movement: dict[str, Any]) -> _Payer | None:
        name = movement.get("debtor_name")
        sirens = self.names.get(_normalise_name(str(name))) if name else None
        if not sirens or len(sirens) != 1:
            return None
        return _Payer("nom", 60, tuple(sirens))

    # -- which calls ------------------------------------------------------------------------

    def _targets(self, payer: _Payer, movement: dict[str, Any]) -> list[_Target]:
        amount: Decimal = movement["amount"]
        if payer.call_ids:
            calls = sorted((self._call(c) for c in payer.call_ids), key=lambda c: c.order)
            return _fill(calls, amount, "reference", Decimal(1))
        scope = _Scope(
            on=movement["_date"],
            organisme=self.organismes.get(_compact(movement.get("account_iban") or "")),
            periods=_mentioned_periods(movement),
        )
        open_calls = self._open_calls(payer, scope)
        calls = [c for c in open_calls if c.period_code in scope.periods] or open_calls
        payments = self._open_declared(payer, scope)
        mentioned = [p for p in payments if p.periods & scope.periods]
        payments = mentioned or payments
        groups: dict[tuple[str, str, str], list[_Call]] = defaultdict(list)
        for call in calls:
            groups[call.group].append(call)
        exact = [p for p in payments if p.total == amount]
        if exact:
            best = min(exact, key=lambda p: self._declared_preference(p, scope))
            return self._declared_targets(best, amount, "paiement_declare", Decimal(1))
        exact_groups = [g for g in groups.values() if _outstanding(g) == amount]
        if exact_groups:
            best_group = min(exact_groups, key=lambda g: self._group_preference(g, scope))
            return _fill(best_group, amount, "montant_exact", Decimal(1))
        combined = self._declared_combination(payments, amount, scope)
        if combined is not None:
            targets = []
            for payment in combined:
                targets += self._declared_targets(
                    payment, payment.total, "combinaison", Decimal("0.9")
                )
            return targets
        combination = _group_combination(list(groups.values()), amount, scope)
        if combination is not None:
            ordered = sorted((c for g in combination for c in g), key=lambda c: c.order)
            return _fill(ordered, amount, "combinaison", Decimal("0.9"))
        if len(mentioned) == 1:  # a partial or excessive payment of the one it names
            return self._declared_targets(
                mentioned[0], amount, "paiement_declare_partiel", Decimal("0.9")
            )
        return _fill(calls, amount, "plus_ancien", Decimal("0.7"))

    def _open_calls(self, payer: _Payer, scope: _Scope) -> list[_Call]:
        """The payer's calls still owed, oldest period first (`_Call.order`: each company's
        calls are kept in that order, and a payer of several companies is sorted again)."""
        calls = [
            call
            for siren in payer.sirens
            for call in self._owed(siren)
            if (payer.contract is None or call.contract_key == payer.contract)
            and (scope.organisme is None or call.organisme_code in (None, scope.organisme))
        ]
        return calls if len(payer.sirens) == 1 else sorted(calls, key=lambda c: c.order)

    def _open_declared(self, payer: _Payer, scope: _Scope) -> list[_DeclaredPayment]:
        """Declared payments of the payer not yet matched, with something still owed."""
        for siren in payer.sirens:
            self._load(siren)
        payments = [
            p
            for siren in payer.sirens
            for p in self.declared.payable(siren)
            if (scope.organisme is None or p.organisme_code in (None, scope.organisme))
            and (payer.contract is None or payer.contract in p.contracts)
        ]
        if len(payer.sirens) == 1:  # each company's come in that order
            return payments
        return sorted(payments, key=lambda p: (p.first_period, p.declared_payment_id))

    def _group_preference(
        self, group: list[_Call], scope: _Scope
    ) -> tuple[bool, bool, int, tuple[date, str, str, str]]:
        reopened = any(c.call_id in self.reopened for c in group)
        named = group[0].period_code in scope.periods
        return (not reopened, not named, abs((group[0].due_date - scope.on).days), group[0].order)

    def _declared_preference(
        self, payment: _DeclaredPayment, scope: _Scope
    ) -> tuple[bool, bool, int, str]:
        due = min(
            (
                c.due_date
                for comp in payment.components
                for c in self._component_calls(payment.siren, comp)
            ),
            default=scope.on,
        )
        return (
            payment.declared_payment_id not in self.reopened_declared,
            not payment.periods & scope.periods,
            abs((due - scope.on).days),
            payment.declared_payment_id,
        )

    def _declared_combination(
        self, payments: list[_DeclaredPayment], amount: Decimal, scope: _Scope
    ) -> tuple[_DeclaredPayment, ...] | None:
        window = payments[:COMBINATION_WINDOW]
        for size in range(2, MAX_COMBINATION + 1):
            matches = [
                combo
                for combo in itertools.combinations(window, size)
                if sum((p.total for p in combo), _ZERO) == amount
            ]
            if matches:
                return min(
                    matches,
                    key=lambda combo: [self._declared_preference(p, scope) for p in combo],
                )
        return None

    def _component_calls(self, siren: str, component: _Component) -> list[_Call]:
        self._load(siren)
        group = self.by_group.get((siren, component.contract_reference, component.period_code), [])
        calls = [c for c in group if c.outstanding > _ZERO]
        # the component's population first, then the contract's other populations
        return sorted(calls, key=lambda c: (c.population != component.population, c.order))

    def _declared_targets(
        self, payment: _DeclaredPayment, amount: Decimal, rule: str, factor: Decimal
    ) -> list[_Target]:
        """`amount` spread over the payment's components in order, each up to what its calls
        still owe; what is left is unallocated credit."""
        self.declared.use(payment)
        self.reopened_declared.discard(payment.declared_payment_id)
        targets: list[_Target] = []
        reserved: dict[str, Decimal] = defaultdict(Decimal)
        left = amount
        for component in payment.components:
            share = min(left, component.amount)
            for call in self._component_calls(payment.siren, component):
                part = min(share, call.outstanding - reserved[call.call_id])
                if part > _ZERO:
                    reserved[call.call_id] += part
                    share -= part
                    left -= part
                    targets.append(
                        _Target(call.call_id, part, rule, factor, payment.declared_payment_id)
                    )
        if left > _ZERO:
            targets.append(_Target(None, left, "excedent", factor, payment.declared_payment_id))
        return targets


@dataclass(frozen=True)
class _Scope:
    """What the movement itself says about what it pays."""

    on: date  # its value date
    organisme: str | None  # whose collection account received it
    periods: frozenset[str]  # period codes written in its references or text


def _group_combination(
    groups: list[list[_Call]], amount: Decimal, scope: _Scope
) -> tuple[list[_Call], ...] | None:
    """At most MAX_COMBINATION of the COMBINATION_WINDOW oldest open contract periods whose
    outstanding adds up exactly to the amount; ties go to due dates nearest the value date."""
    window = sorted(groups, key=lambda g: g[0].order)[:COMBINATION_WINDOW]
    for size in range(2, MAX_COMBINATION + 1):
        matches = [
            combo
            for combo in itertools.combinations(window, size)
            if sum((_outstanding(g) for g in combo), _ZERO) == amount
        ]
        if matches:
            return min(
                matches,
                key=lambda combo: (
                    sum(abs((g[0].due_date - scope.on).days) for g in combo),
                    [g[0].order for g in combo],
                ),
            )
    return None


def _fill(calls: list[_Call], amount: Decimal, rule: str, factor: Decimal) -> list[_Target]:
    """Allocate `amount` to the calls in order, each up to what it still owes; the rest is
    unallocated credit."""
    targets: list[_Target] = []
    left = amount
    for call in calls:
        part = min(left, call.outstanding)
        if part > _ZERO:
            targets.append(_Target(call.call_id, part, rule, factor))
            left -= part
    if left > _ZERO:
        targets.append(_Target(None, left, "excedent" if targets else "aucun_appel_ouvert", factor))
    return targets


def _outstanding(group: list[_Call]) -> Decimal:
    return sum((c.outstanding for c in group), _ZERO)


class _DeclaredBySiren:
    """Each company's declared payments (`_declared_payments`), turned into objects on the
    company's first use: a night posts to the few companies it recomputes, while the book holds
    every company's (building them all was most of the book's cost). A payment belongs to the
    company of its first component, as when they were built at once.

    Those a movement can still be matched with are kept per company (`payable`): not used, and
    with a call still owed in one of their contract periods (`open_in_group`, the book's count
    of calls owed per period, which the calls of a company are loaded into before its payments
    are built). A company's payments never matched, whose calls were paid otherwise, were
    otherwise checked again at each of its movements (a fifth of the posting at 100,000
    employees)."""

    def __init__(
        self, frame: pl.DataFrame | None, open_in_group: dict[tuple[str, str, str], int]
    ) -> None:
        self._rows: _RowsBy | None = None
        if frame is not None and frame.height:
            owner = pl.col("siren").first().over("declared_payment_id").cast(pl.String)
            self._rows = _RowsBy(frame.with_columns(_owner=owner.fill_null("None")), "_owner")
        self._open_in_group = open_in_group
        self._payable: dict[str, dict[str, _DeclaredPayment]] = {}
        self._in_group: dict[tuple[str, str, str], list[_DeclaredPayment]] = defaultdict(list)
        self.by_id: dict[str, _DeclaredPayment] = {}

    def payable(self, siren: str) -> list[_DeclaredPayment]:
        """The company's payments not used with a call still owed, oldest first period first,
        then id: the order `_Book._open_declared` tries them in."""
        payable = self._payable.get(siren)
        if payable is None:
            payable = self._payable[siren] = self._build(siren)
        return sorted(payable.values(), key=lambda p: p.position)

    def use(self, payment: _DeclaredPayment) -> None:
        payment.used = True
        self._payable[payment.siren].pop(payment.declared_payment_id, None)

    def reopen(self, declared_payment_id: str) -> None:
        """The payment unused again (a returned direct debit gave its money back)."""
        payment = self.by_id[declared_payment_id]
        payment.used = False
        self._update(payment)

    def owed_changed(self, group: tuple[str, str, str]) -> None:
        """A contract period's calls went from none owed to some, or back."""
        for payment in self._in_group.get(group, ()):
            self._update(payment)

    def _update(self, payment: _DeclaredPayment) -> None:
        payable = self._payable[payment.siren]
        if not payment.used and self._owed(payment):
            payable[payment.declared_payment_id] = payment
        else:
            payable.pop(payment.declared_payment_id, None)

    def _owed(self, payment: _DeclaredPayment) -> bool:
        """Whether a component's `_Book._component_calls` is not empty."""
        return any(self._open_in_group.get(group, 0) > 0 for group in payment.groups)

    def _build(self, siren: str) -> dict[str, _DeclaredPayment]:
        rows = None if self._rows is None else self._rows.get(siren)
        payments = [] if rows is None else _declared_payments(rows.to_dicts())
        for position, payment in enumerate(payments):
            payment.position = position
            self.by_id[payment.declared_payment_id] = payment
            for group in set(payment.groups):
                self._in_group[group].append(payment)
        return {p.declared_payment_id: p for p in payments if self._owed(p)}


class _RowsBy:
    """A frame's rows of each value of `column`, in the frame's order, sliced out on demand: the
    book holds every company's rows and a night reads a few companies' (splitting them all up
    front was a third of building the book at 100,000 employees)."""

    def __init__(self, frame: pl.DataFrame, column: str) -> None:
        self._frame = frame.sort(column, nulls_last=True, maintain_order=True)
        self._slices: dict[Any, tuple[int, int]] = {}
        start = 0
        for value, count in self._frame.group_by(column, maintain_order=True).len().iter_rows():
            self._slices[value] = (start, count)
            start += count

    def get(self, value: object) -> pl.DataFrame | None:
        found = self._slices.get(value)
        return None if found is None else self._frame.slice(*found)


def _declared_payments(rows: list[dict[str, Any]]) -> list[_DeclaredPayment]:
    """Components grouped by declared payment, each payment's components in the order money
    goes to them: oldest period first, then contract; the payments in the order a payer's are
    tried (`_Book._open_declared`): oldest first period first, then id."""
    payments: dict[str, _DeclaredPayment] = {}
    for row in rows:
        key = str(row["declared_payment_id"])
        if key not in payments:
            payments[key] = _DeclaredPayment(
                declared_payment_id=key,
                siren=str(row["siren"]),
                organisme_code=row.get("organisme_code"),
                total=row["payment_total"],
            )
        payments[key].components.append(
            _Component(
                period_code=str(row["period_code"]),
                contract_reference=str(row["contract_reference"]),
                population=row.get("population"),
                amount=row["amount"],
            )
        )
    for payment in payments.values():
        payment.first_period = min(_period_start(c.period_code) for c in payment.components)
        payment.components.sort(
            key=lambda c: (
                _period_start(c.period_code),
                c.contract_reference,
                c.population or "",
                c.amount,
            )
        )
    return sorted(payments.values(), key=lambda p: (p.first_period, p.declared_payment_id))


@functools.cache
def _period_start(code: str) -> date:
    """Cached: a book holds a few dozen period codes over hundreds of thousands of components."""
    return Period.from_code(code).start


# ---------------------------------------------------------------------------------------------
# Text helpers

_NUMBER = re.compile(r"(?<!\d)(\d{3} ?\d{3} ?\d{3}(?: ?\d{5})?)(?!\d)")
_TOKEN_SPLIT = re.compile(r"[\s,;:+()]+")
_PERIOD_SUFFIX = re.compile(r"^(.*?)[-_ ]?(\d{4}[MTSA]\d{2})$")
_PERIOD_CODE = re.compile(r"(?<![0-9A-Z])(\d{4}[MTSA]\d{2})(?![0-9A-Z])")
# compiled once: `_compact` runs on every key the book and each movement look up
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")
_NOT_WORD = re.compile(r"[^A-Z0-9]+")
_SPACE = re.compile(r"\s")
_LEGAL_FORMS = {"SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SNC", "SCOP", "STE", "SOCIETE"}


def _alphanumeric(text: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", text.upper())


def _compact(text: str) -> str:
    return _SPACE.sub("", text).upper()


def _texts(movement: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for column in ("end_to_end_id", "creditor_reference", "entry_reference", "bank_label"):
        value = movement.get(column)
        if value and value != _NOT_PROVIDED:
            texts.append(str(value))
    for column in ("remittance_lines", "additional_info"):
        texts.extend(str(v) for v in (movement.get(column) or ()) if v)
    return texts


def _reference_tokens(movement: dict[str, Any]) -> set[str]:
    """Words of the references and free text that may be a call or contract reference: each
    word, each pair of consecutive words joined by `-` (`C123 2024T01`), the part of a word
    before a period code, and the body of a valid ISO 11649 creditor reference (`RFnn…`)."""
    tokens: set[str] = set()
    for text in _texts(movement):
        words = [w for w in _TOKEN_SPLIT.split(text.upper()) if w]
        tokens.update(words)
        tokens.update(w[4:] for w in words if w.startswith("RF") and iso11649.is_valid(w))
        tokens.update(f"{a}-{b}" for a, b in itertools.pairwise(words))
        for word in words:
            match = _PERIOD_SUFFIX.match(word)
            if match and match[1]:
                tokens.add(match[1])
                tokens.add(f"{match[1]}-{match[2]}")
    return tokens


def _company_numbers(movement: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The SIRENs of the valid SIRETs and the valid SIRENs written in the movement's text."""
    siret_sirens: set[str] = set()
    siren_numbers: set[str] = set()
    for number in _NUMBER.findall(" ".join(_texts(movement))):
        digits = _SPACE.sub("", number)
        if len(digits) == 14 and _valid_siret(digits):
            siret_sirens.add(digits[:9])
        elif len(digits) == 9 and _valid_siren(digits):
            siren_numbers.add(digits)
    return siret_sirens, siren_numbers


# The same company numbers come back in every movement of a company: checked once each.
@functools.lru_cache(maxsize=100_000)
def _valid_siret(digits: str) -> bool:
    return bool(siret_number.is_valid(digits))


@functools.lru_cache(maxsize=100_000)
def _valid_siren(digits: str) -> bool:
    return bool(siren_number.is_valid(digits))


def _movement_keys(movement: dict[str, Any], tokens: set[str]) -> list[str]:
    """What the book looks up for a movement, as `company_keys` and `book_keys` write them: its
    reference words (`tokens`, its `_reference_tokens`: call or contract references), its
    debtor IBAN and the SIRENs it writes, then what it reads of the contracts: its mandate, its
    debtor's name and the account that received it (whose organisme's calls it pays)."""
    keys = {f"ref:{token}" for token in tokens}
    if iban := movement.get("debtor_iban"):
        keys.add(f"iban:{_compact(str(iban))}")
    siret_sirens, siren_numbers = _company_numbers(movement)
    keys.update(f"siren:{siren}" for siren in siret_sirens | siren_numbers)
    if mandate := movement.get("mandate_id"):
        keys.add(f"mandate:{_compact(str(mandate))}")
    if name := movement.get("debtor_name"):
        keys.add(f"name:{_normalise_name(str(name))}")
    if account := movement.get("account_iban"):
        keys.add(f"account:{_compact(str(account))}")
    return sorted(keys)


def book_keys(
    mandates: pl.DataFrame, companies: pl.DataFrame, creditor_accounts: pl.DataFrame
) -> set[tuple[str, str]]:
    """What the book reads of the contracts (`Lettrage`'s `mandates`, `companies` and
    `creditor_accounts`), as (key a movement writes, what the book finds under it): a mandate's
    company and contract, a company's SIREN, a name's company, an account's organisme. A key
    whose pairs differ between two nights is one under which the book finds something else."""
    keys: set[tuple[str, str]] = set()
    for mandate_id, siren, contract in mandates.select(
        "mandate_id", "siren", "contract_reference"
    ).iter_rows():
        keys.add((f"mandate:{_compact(mandate_id)}", f"{siren} {contract or ''}"))
    for siren, name in companies.select("siren", "name").iter_rows():
        keys.add((f"siren:{siren}", ""))
        if name:
            keys.add((f"name:{_normalise_name(name)}", siren))
    for account, organisme in creditor_accounts.select(
        "account_iban", "organisme_code"
    ).iter_rows():
        keys.add((f"account:{_compact(account)}", organisme))
    return keys


def company_keys(calls: pl.DataFrame, declared_payments: pl.DataFrame) -> set[tuple[str, str]]:
    """What a movement must write (`_movement_keys`) for a payer rule to recognise the companies
    of these calls and declared payments, per company (SIREN, key): their call and contract
    references, the IBANs they declare paying from and their SIRENs. Per company, so that a key
    one company gains while another keeps it still counts as changed."""
    keys: set[tuple[str, str]] = set()
    for siren, call_reference, contract_reference in (
        calls.select("siren", "call_reference", "contract_reference").unique().iter_rows()
    ):
        if siren is None:
            continue
        keys.add((siren, f"siren:{siren}"))
        if call_reference is not None:
            keys.add((siren, f"ref:{_compact(call_reference)}"))
            keys.add((siren, f"ref:{_alphanumeric(call_reference)}"))
        if contract_reference is not None:
            keys.add((siren, f"ref:{_compact(contract_reference)}"))
    for siren, iban in declared_payments.select("siren", "iban").drop_nulls().unique().iter_rows():
        keys.add((siren, f"iban:{_compact(iban)}"))
    return keys


_RETURN_KEY_COLUMNS = ("end_to_end_id", "mandate_id", "debtor_iban")


def _return_keys(movement: dict[str, Any]) -> list[tuple[str, str]]:
    keys = []
    for column in _RETURN_KEY_COLUMNS:
        value = movement.get(column)
        if value and value != _NOT_PROVIDED:
            keys.append((column, _compact(str(value))))
    return keys


def _normalise_name(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = _NOT_WORD.sub(" ", ascii_name).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


def _mentioned_periods(movement: dict[str, Any]) -> frozenset[str]:
    """DSN period codes (2024T01, 2024M03) written as words of the references or the text."""
    found = {code for text in _texts(movement) for code in _PERIOD_CODE.findall(text.upper())}
    return frozenset(code for code in found if _is_period(code))


# The same few period codes come back in the text of every movement: checked once each.
@functools.lru_cache(maxsize=10_000)
def _is_period(code: str) -> bool:
    try:
        Period.from_code(code)
    except PeriodCodeError:
        return False
    return True
