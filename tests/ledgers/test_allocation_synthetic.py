"""Lettrage against the synthetic generator's ground truth: its bank files (camt.053/054 in
three versions, CFONB 120, overlapping statements, returned direct debits…) read by the real
readers, its DSN payments (S21.G00.20/55) read by the real DSN reader, and its truth of which
bank line pays which contract and period.

The calls come from the truth's contributions table: turning monthly DSNs into contributions in
force (replacements applied) is the warehouse's core model, tested there; this test measures the
allocation alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from contracts.parameters import ContractParameters
from dsn_parser import read as read_dsn
from ledgers.allocation import AllocationResult
from ledgers.balances import balances_by_company, bank_identity_breaks, company_identity_breaks
from ledgers.calls import build_calls
from ledgers.contract_terms import ContractTerms, companies_frame
from ledgers.dsn_inputs import declared_payments_from_dsn
from ledgers.periods import Period
from payment_files import read_payment_file, transactions_frame
from synthetic.accounts import ACCOUNTS, PREVOYANCE_ACCOUNTS
from synthetic.contracts import PREVOYANCE_ORGANISME
from synthetic.generation import generate
from tests.ledgers.ledger_frames import allocate

AMOUNT = pl.Decimal(18, 2)


@dataclass(frozen=True)
class Lettrage:
    calls: pl.DataFrame
    bank: pl.DataFrame
    result: AllocationResult
    truth: Path


@pytest.fixture(scope="module")
def lettrage(tmp_path_factory: pytest.TempPathFactory) -> Lettrage:
    root = tmp_path_factory.mktemp("portfolio")
    # a seed whose bank files hold every scenario and two repeated lines
    generate(root, companies=8, employees=60, months=12, seed=10)
    contracts = [
        ContractTerms.from_parameters(ContractParameters.model_validate_json(p.read_text()))
        for p in sorted((root / "reference").glob("*.json"))
        if p.name != "pmss.json"
    ]
    calls = build_calls(_truth_contributions(root / "truth"), contracts)
    bank = pl.concat(
        [transactions_frame(read_payment_file(p)) for p in sorted((root / "bank").iterdir())]
    )
    result = allocate(
        calls,
        bank,
        declared_payments=declared_payments_from_dsn(
            f
            for path in sorted((root / "dsn").rglob("*"))
            if path.is_file()
            for f in read_dsn(path)
        ),
        companies=companies_frame(contracts),
        creditor_accounts=_accounts(),
    )
    return Lettrage(calls, bank, result, root / "truth")


def _truth_contributions(truth: Path) -> pl.DataFrame:
    table = pl.read_csv(truth / "contributions.csv", infer_schema=False)
    return table.select(
        "siren",
        "contract_reference",
        pl.lit(None, dtype=pl.String).alias("population"),
        pl.col("period")
        .map_elements(lambda code: Period.from_code(code).start, return_dtype=pl.Date)
        .alias("month"),
        pl.col("due").str.to_decimal(scale=2).cast(AMOUNT).alias("amount"),
    )


def _accounts() -> pl.DataFrame:
    owned = [(org, account) for org, pair in ACCOUNTS.items() for account in pair]
    owned += [(PREVOYANCE_ORGANISME, account) for account in PREVOYANCE_ACCOUNTS]
    return pl.DataFrame(
        [{"account_iban": a.iban, "organisme_code": org} for org, a in owned],
        schema={"account_iban": pl.String, "organisme_code": pl.String},
    )


def _per_line(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.with_columns(pl.col("contract_reference", "period").fill_null(""))
        .group_by("bank_line_id", "contract_reference", "period")
        .agg(pl.col("amount").sum())
        .filter(pl.col("amount") != 0)
    )


def test_at_least_99_percent_of_bank_lines_go_to_the_calls_the_truth_names(
    lettrage: Lettrage,
) -> None:
    truth = pl.read_csv(lettrage.truth / "bank_allocations.csv", infer_schema=False).with_columns(
        pl.col("amount").str.to_decimal(scale=2).cast(AMOUNT)
    )
    # the generator's line id is the bank's reference: camt AcctSvcrRef, CFONB reference zone
    line_ids = lettrage.bank.select(
        "movement_id",
        pl.coalesce(
            "account_servicer_reference", pl.col("entry_reference").str.split("/").list.last()
        ).alias("bank_line_id"),
    ).unique()
    ours = lettrage.result.allocations.join(line_ids, on="movement_id").rename(
        {"period_code": "period"}
    )
    compared = _per_line(truth).join(
        _per_line(ours),
        on=["bank_line_id", "contract_reference", "period"],
        how="full",
        coalesce=True,
        suffix="_ours",
    )
    lines = compared.group_by("bank_line_id").agg(
        (pl.col("amount") == pl.col("amount_ours")).fill_null(False).all().alias("right")
    )
    scenarios = set(truth["scenario"])
    right = int(lines["right"].sum())
    print(f"{right}/{lines.height} bank lines right; scenarios {sorted(scenarios)}")
    assert lines.height == truth["bank_line_id"].n_unique()
    assert right >= 0.99 * lines.height, compared.filter(
        pl.col("bank_line_id").is_in(lines.filter(~pl.col("right"))["bank_line_id"].to_list())
    )
    assert scenarios == {
        "a_l_heure",
        "en_retard",
        "partiel",
        "trop_percu",
        "plusieurs_periodes",
        "prelevement_rejete",
        "regularisation_apres_rejet",
        "sans_reference",
    }


def test_overlapping_statements_count_each_line_once_and_the_identities_hold(
    lettrage: Lettrage,
) -> None:
    result = lettrage.result
    situations = pl.read_csv(lettrage.truth / "situations.csv", infer_schema=False)
    repeated = situations.filter(pl.col("situation") == "ligne_bancaire_en_double").height
    assert repeated > 0
    assert result.duplicates.height == repeated
    assert result.movements["movement_id"].n_unique() == result.movements.height
    companies = balances_by_company(lettrage.calls, result.allocations)
    assert company_identity_breaks(lettrage.calls, result.allocations, companies).is_empty()
    assert bank_identity_breaks(result.movements, result.allocations).is_empty()


def test_the_calls_are_due_on_the_dates_the_truth_gives(lettrage: Lettrage) -> None:
    truth = pl.read_csv(lettrage.truth / "contributions.csv", infer_schema=False).select(
        "siren",
        "contract_reference",
        pl.col("period").alias("period_code"),
        pl.col("due_date").str.to_date(),
    )
    calls = lettrage.calls.select("siren", "contract_reference", "period_code", "due_date")
    keys = ["siren", "contract_reference", "period_code"]
    assert calls.sort(keys).equals(truth.sort(keys))
