"""How companies actually pay what they declared, and the bank files that show it.

Each declared payment (S21.G00.20) becomes what happened at the bank: paid on time, late,
partially, too much, together with the next period, not at all, collected by direct debit and
returned unpaid, or paid with no usable reference. Each organisme of the group has two accounts:
one for SEPA direct-debit collections (reported by camt.054 notifications) and one receiving
transfers (reported by statements: CFONB 120 for the mutuelle, camt.053 for the institution de
prévoyance, some months as two overlapping statements that repeat the lines of the overlap).
The truth says which line pays which contract and period.
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from stdnum.iso7064 import mod_97_10

from synthetic.accounts import ACCOUNTS, PREVOYANCE_ACCOUNTS, accounts, mandate_id
from synthetic.bank_files import (
    BankAccount,
    BankBatch,
    BankMovement,
    Entry,
    MovementKind,
    write_camt053,
    write_camt054,
    write_cfonb120,
)
from synthetic.calendar import days, month_end, month_of
from synthetic.contracts import money
from synthetic.ledger import Ledger, PaymentDue, period_end_of
from synthetic.output import OutputFolder
from synthetic.truth import TruthWriter

CAMT054_VERSIONS = ("001.02", "001.04", "001.08")
CAMT053_VERSIONS = ("001.02", "001.04", "001.08")


class Scenario(StrEnum):
    ON_TIME = "a_l_heure"
    LATE = "en_retard"
    PARTIAL = "partiel"
    OVERPAID = "trop_percu"
    MULTI_PERIOD = "plusieurs_periodes"
    MISSING = "absent"
    RETURNED = "prelevement_rejete"
    REGULARISATION = "regularisation_apres_rejet"
    NO_REFERENCE = "sans_reference"


TRANSFER_SCENARIOS = (
    (Scenario.ON_TIME, 0),
    (Scenario.LATE, 8),
    (Scenario.PARTIAL, 5),
    (Scenario.OVERPAID, 3),
    (Scenario.MULTI_PERIOD, 6),
    (Scenario.MISSING, 4),
    (Scenario.NO_REFERENCE, 3),
)
RETURN_REASONS = ("AM04", "MD06", "AC04", "MS02")


@dataclass
class Line:
    """A movement with the allocations the truth expects for it."""

    movement: BankMovement
    scenario: Scenario
    account: BankAccount
    allocations: list[tuple[PaymentDue, str, str, Decimal]]  # (due, contract, period, amount)
    file_names: tuple[str, ...] = ()


class BankSimulation:
    def __init__(self, seed: int, ledger: Ledger, fault_rate: float) -> None:
        self.rng = random.Random(f"{seed}:bank")
        self.ledger = ledger
        self.scale = min(1.0, fault_rate / 0.03)
        self.lines: list[Line] = []
        self.scenarios: dict[int, tuple[Scenario, list[str]]] = {}
        self.counter = 0
        self.pending_files: list[tuple[str, str]] = []

    def reference(self, day: date) -> str:
        self.counter += 1
        return f"B{day:%y%m%d}{self.counter:07d}"

    def run(self) -> None:
        # Declared payments of one payer, oldest first, so a multi-period transfer can take the
        # next one along.
        by_payer: dict[tuple[str, str, str], list[PaymentDue]] = defaultdict(list)
        for payment in self.ledger.payments:
            by_payer[(payment.siret, payment.fraction, payment.organisme)].append(payment)
        for key in sorted(by_payer):
            queue = sorted(by_payer[key], key=lambda p: p.period_end)
            while queue:
                payment = queue.pop(0)
                if payment.mode == "05":
                    self.direct_debit(payment)
                else:
                    self.transfer(payment, queue)

    def weighted(self, table: tuple[tuple[Scenario, int], ...]) -> Scenario:
        others = sum(w for _, w in table) * self.scale
        rest = 100 - others
        weights = [rest if s is Scenario.ON_TIME else w * self.scale for s, w in table]
        return self.rng.choices([s for s, _ in table], weights=weights)[0]

    def end_to_end(self, payment: PaymentDue) -> str:
        return f"COT{payment.siren}{payment.period}{payment.fraction}{payment.organisme[-2:]}"

    def split(
        self, payments: list[PaymentDue], amount: Decimal
    ) -> list[tuple[PaymentDue, str, str, Decimal]]:
        """An amount spread over the components in order (oldest period, then contract)."""
        allocations = []
        left = amount
        for payment in payments:
            for (reference, period), value in sorted(
                payment.components.items(), key=lambda kv: (kv[0][1], kv[0][0])
            ):
                share = min(left, value)
                if share > 0:
                    allocations.append((payment, reference, period, share))
                    left -= share
        if left > 0:
            allocations.append((payments[-1], "", "", left))  # unallocated credit
        return allocations

    def direct_debit(self, payment: PaymentDue) -> None:
        debit_account = accounts(payment.organisme)[0]
        day = _business_day(payment.due_date)
        e2e = self.end_to_end(payment)
        movement = BankMovement(
            booking_date=day,
            value_date=day,
            amount=payment.amount,
            kind=MovementKind.SEPA_DIRECT_DEBIT,
            account_servicer_reference=self.reference(day),
            debtor_name=_bank_name(payment.payer_name),
            debtor_iban=payment.payer_iban,
            debtor_bic=payment.payer_bic,
            end_to_end_id=e2e,
            mandate_id=mandate_id(payment.siren, payment.organisme),
            remittance_text=f"COTISATIONS {payment.period} SIRET {payment.siret}",
        )
        returned = self.rng.random() < 0.08 * self.scale
        scenario = Scenario.RETURNED if returned else Scenario.ON_TIME
        credit = Line(movement, scenario, debit_account, self.split([payment], payment.amount))
        self.lines.append(credit)
        ids = [movement.account_servicer_reference]
        if returned:
            back = _business_day(day + days(self.rng.randrange(2, 8)))
            reversal = BankMovement(
                booking_date=back,
                value_date=back,
                amount=-payment.amount,
                kind=MovementKind.DIRECT_DEBIT_RETURN,
                account_servicer_reference=self.reference(back),
                debtor_name=movement.debtor_name,
                debtor_iban=payment.payer_iban,
                debtor_bic=payment.payer_bic,
                mandate_id=movement.mandate_id,
                return_reason=self.rng.choice(RETURN_REASONS),
                original_end_to_end_id=e2e,
            )
            allocations = [(p, ref, per, -value) for p, ref, per, value in credit.allocations]
            self.lines.append(Line(reversal, Scenario.RETURNED, debit_account, allocations))
            ids.append(reversal.account_servicer_reference)
            if self.rng.random() < 0.5:  # the company pays again by transfer
                later = _business_day(back + days(self.rng.randrange(5, 20)))
                ids.append(
                    self.transfer_line(
                        payment,
                        [payment],
                        later,
                        payment.amount,
                        Scenario.REGULARISATION,
                        e2e + "R",
                    )
                )
        self.scenarios[id(payment)] = (scenario, ids)

    def transfer(self, payment: PaymentDue, queue: list[PaymentDue]) -> None:
        scenario = self.weighted(TRANSFER_SCENARIOS)
        if scenario is Scenario.MULTI_PERIOD and not queue:
            scenario = Scenario.ON_TIME
        paid_for = [payment]
        day = _business_day(payment.due_date - days(self.rng.randrange(0, 6)))
        amount = payment.amount
        if scenario is Scenario.MISSING:
            self.scenarios[id(payment)] = (scenario, [])
            return
        if scenario is Scenario.LATE:
            day = _business_day(payment.due_date + days(self.rng.randrange(12, 60)))
        elif scenario is Scenario.PARTIAL:
            amount = money(payment.amount * Decimal(self.rng.choice(["0.4", "0.5", "0.75"])))
        elif scenario is Scenario.OVERPAID:
            amount = money(payment.amount * Decimal(self.rng.choice(["1.05", "1.1", "1.2"])))
        elif scenario is Scenario.MULTI_PERIOD:
            following = queue.pop(0)
            paid_for.append(following)
            amount = payment.amount + following.amount
            day = _business_day(following.due_date - days(self.rng.randrange(0, 4)))
        if amount <= 0:
            return
        reference = self.end_to_end(payment)
        line_id = self.transfer_line(payment, paid_for, day, amount, scenario, reference)
        for paid in paid_for:
            self.scenarios[id(paid)] = (scenario, [line_id])

    def transfer_line(
        self,
        payment: PaymentDue,
        paid_for: list[PaymentDue],
        day: date,
        amount: Decimal,
        scenario: Scenario,
        reference: str,
    ) -> str:
        account = accounts(payment.organisme)[1]
        periods = " ".join(p.period for p in paid_for)
        no_reference = scenario is Scenario.NO_REFERENCE
        structured = None if no_reference or self.rng.random() < 0.6 else _rf(reference)
        movement = BankMovement(
            booking_date=day,
            value_date=day,
            amount=amount,
            kind=MovementKind.SEPA_CREDIT_TRANSFER,
            account_servicer_reference=self.reference(day),
            debtor_name=_bank_name(payment.payer_name),
            debtor_iban=payment.payer_iban,
            debtor_bic=payment.payer_bic,
            end_to_end_id=None if no_reference else reference,
            creditor_reference=structured,
            remittance_text=("VIREMENT " + _bank_name(payment.payer_name))[:140]
            if no_reference
            else f"COTISATIONS {periods} SIREN {payment.siren}",
        )
        self.lines.append(Line(movement, scenario, account, self.split(paid_for, amount)))
        return movement.account_servicer_reference

    # -- files -------------------------------------------------------------------------------

    def write_files(self, out: OutputFolder) -> None:
        by_account: dict[str, list[Line]] = defaultdict(list)
        for line in self.lines:
            by_account[line.account.iban].append(line)
        for iban in sorted(by_account):
            lines = sorted(
                by_account[iban],
                key=lambda line: (
                    line.movement.booking_date,
                    line.movement.account_servicer_reference,
                ),
            )
            account = lines[0].account
            if any(a[0].iban == iban for a in [*ACCOUNTS.values(), PREVOYANCE_ACCOUNTS]):
                self.write_notifications(out, account, lines)
            elif account.owner_name.startswith("MUTUELLE"):
                self.write_cfonb(out, account, lines)
            else:
                self.write_statements(out, account, lines)

    def write_notifications(
        self, out: OutputFolder, account: BankAccount, lines: list[Line]
    ) -> None:
        """camt.054 per month; the collections of a day are one batch entry, as banks book them."""
        for month, month_lines in _by_month(lines):
            entries: list[Entry] = []
            by_day: dict[tuple[date, MovementKind], list[Line]] = defaultdict(list)
            for line in month_lines:
                by_day[(line.movement.booking_date, line.movement.kind)].append(line)
            for (day, kind), group in sorted(by_day.items()):
                if kind is MovementKind.SEPA_DIRECT_DEBIT and len(group) > 1:
                    entries.append(BankBatch(self.reference(day), tuple(g.movement for g in group)))
                else:
                    entries += [g.movement for g in group]
            version = CAMT054_VERSIONS[month.month % len(CAMT054_VERSIONS)]
            created = datetime.combine(month_end(month) + days(1), time(6, 30))
            name = f"camt054_{account.iban[-6:]}_{month:%Y%m}.xml"
            path = out.path("bank", name)
            write_camt054(
                path,
                account,
                entries,
                message_id=f"N{account.iban[-6:]}{month:%Y%m}",
                created_at=created,
                version=version,
            )
            out.stamp(path, created)
            self.file_rows(name, "camt.054." + version, month_lines)

    def write_cfonb(self, out: OutputFolder, account: BankAccount, lines: list[Line]) -> None:
        balance = Decimal("10000.00")
        for month, month_lines in _by_month(lines):
            name = f"releve_cfonb120_{account.iban[-6:]}_{month:%Y%m}.txt"
            path = out.path("bank", name)
            write_cfonb120(
                path,
                account,
                [line.movement for line in month_lines],
                from_date=month,
                to_date=month_end(month),
                opening_balance=balance,
                line_breaks=month.month % 4 != 0,
            )
            out.stamp(path, datetime.combine(month_end(month) + days(1), time(7, 0)))
            balance += sum((line.movement.amount for line in month_lines), Decimal("0.00"))
            self.file_rows(name, "cfonb120", month_lines)

    def write_statements(self, out: OutputFolder, account: BankAccount, lines: list[Line]) -> None:
        """camt.053 per month; some months as two statements overlapping by a few days."""
        balance = Decimal("25000.00")
        for month, month_lines in _by_month(lines):
            version = CAMT053_VERSIONS[month.month % len(CAMT053_VERSIONS)]
            last = month_end(month)
            if self.rng.random() < 0.3 * max(self.scale, 0.0) and last.day > 20:
                cut, overlap_from = month.replace(day=20), month.replace(day=14)
                spans = [(month, cut), (overlap_from, last)]
            else:
                spans = [(month, last)]
            for part, (first_day, last_day) in enumerate(spans, start=1):
                chosen = [
                    line
                    for line in month_lines
                    if first_day <= line.movement.booking_date <= last_day
                ]
                opening = balance + sum(
                    (
                        line.movement.amount
                        for line in month_lines
                        if line.movement.booking_date < first_day
                    ),
                    Decimal("0.00"),
                )
                name = f"camt053_{account.iban[-6:]}_{month:%Y%m}_{part}.xml"
                path = out.path("bank", name)
                created = datetime.combine(last_day + days(1), time(6, 0))
                write_camt053(
                    path,
                    account,
                    [line.movement for line in chosen],
                    statement_id=f"S{account.iban[-6:]}{month:%Y%m}{part}",
                    from_date=first_day,
                    to_date=last_day,
                    opening_balance=opening,
                    version=version,
                    created_at=created,
                )
                out.stamp(path, created)
                self.file_rows(name, "camt.053." + version, chosen)
            balance += sum((line.movement.amount for line in month_lines), Decimal("0.00"))

    def file_rows(self, name: str, file_format: str, lines: Iterable[Line]) -> None:
        for line in lines:
            line.file_names = (*line.file_names, name)
        self.pending_files.append((name, file_format))

    # -- truth -------------------------------------------------------------------------------

    def write_truth(self, truth: TruthWriter) -> None:
        for name, file_format in self.pending_files:
            truth.row(
                "files",
                file_name=name,
                folder="bank",
                format=file_format,
                encoding="ascii" if file_format == "cfonb120" else "utf-8",
            )
        paid: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for line in self.lines:
            movement = line.movement
            for due, reference, period, value in line.allocations:
                truth.row(
                    "bank_allocations",
                    bank_line_id=movement.account_servicer_reference,
                    bank_file=line.file_names[0] if line.file_names else "",
                    end_to_end_id=movement.end_to_end_id or movement.original_end_to_end_id,
                    scenario=line.scenario,
                    siren=due.siren,
                    contract_reference=reference,
                    period=period,
                    amount=value,
                )
                if reference:
                    paid[(due.siren, reference, period)] += value
            if len(line.file_names) > 1:
                truth.row(
                    "situations",
                    situation="ligne_bancaire_en_double",
                    siren=line.allocations[0][0].siren if line.allocations else "",
                    file_name=line.file_names[1],
                    detail=f"{movement.account_servicer_reference} deja dans {line.file_names[0]}",
                )
        for payment in self.ledger.payments:
            scenario, ids = self.scenarios.get(id(payment), (Scenario.MISSING, []))
            truth.row(
                "payments",
                siren=payment.siren,
                siret=payment.siret,
                organisme=payment.organisme,
                period=payment.period,
                declared_amount=payment.amount,
                mode=payment.mode,
                scenario=scenario,
                bank_line_ids=ids,
            )
        for key in sorted(self.ledger.declared):
            siren, reference, period = key
            declared = self.ledger.declared[key]
            provisional = reference in self.ledger.without_parameters
            truth.row(
                "contributions",
                siren=siren,
                contract_reference=reference,
                period=period,
                due=declared,
                expected=None if provisional else self.ledger.expected[key],
                paid=paid[key],
                balance=declared - paid[key],
                due_date=None
                if provisional
                else self.ledger.due_date(reference, period_end_of(period)).isoformat(),
                provisional=provisional,
            )


def _by_month(lines: list[Line]) -> list[tuple[date, list[Line]]]:
    months: dict[date, list[Line]] = defaultdict(list)
    for line in lines:
        months[month_of(line.movement.booking_date)].append(line)
    return sorted(months.items())


def _business_day(day: date) -> date:
    while day.weekday() >= 5:
        day += days(1)
    return day


def _bank_name(name: str) -> str:
    """Banks upper-case names and drop what their character set lacks."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.upper()[:70]


def _rf(reference: str) -> str:
    """An ISO 11649 structured creditor reference (RF + check digits + our reference)."""
    body = "".join(c for c in reference if c.isalnum())[-21:]
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body
