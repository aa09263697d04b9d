"""Stoppage episodes: one per stoppage, however many files showed it.

Identity of a stoppage: employee + employment contract + last day worked (60.002) + reason
(60.001). What payroll legitimately changes from one file to the next is the planned end
(prolongations), subrogation, the return date and reason, and the SIRET (a transfer between
establishments keeps the contract): none of them is in the identity. A different reason with
the same last day worked is a requalification that the claims team must see as a distinct
stoppage. Reason 99 is not a stoppage: it cancels every stoppage of the same employee,
contract and last day worked declared before it.

Observations are ordered by the day the situation they describe was true, never by arrival:
the end of its main month for a monthly DSN (it reports the month, even when built after a
signalement 05 of the next month), the build date (20.G00.05.007) for a signalement. The
planned end is the latest one observed, and each time it moved later is a prolongation kept in
the history.
"""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl

from quality.stoppages.catalogue import CANCELLATION_REASON, EpisodeStatus
from quality.stoppages.inputs import StoppageInputs


def opaque_id(columns: list[str]) -> pl.Expr:
    """A stable identifier from these columns that does not show them: the SHA-256 of their
    values. The employee key is a NIR, and identifiers travel (portal, exports, links) where the
    NIR must not."""
    identity = pl.concat_str(
        [pl.col(c).cast(pl.String).fill_null("") for c in columns], separator="|"
    )
    return identity.map_elements(
        lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest(), return_dtype=pl.String
    )


CONTRACT_KEY = ["employee_key", "contract_start", "contract_number"]
STOPPAGE_KEY = [*CONTRACT_KEY, "last_day_worked"]
EPISODE_KEY = [*STOPPAGE_KEY, "reason"]

# Same day observed: a signalement describes its day, a monthly DSN its whole month.
_NATURE_ORDER = {"04": 0, "05": 1, "01": 2}


def observation_end(inputs: StoppageInputs) -> date | None:
    """Last day the data speaks for: the end of the latest month with a monthly DSN."""
    latest = inputs.monthly.get_column("month").max()
    if latest is None:
        return None
    assert isinstance(latest, date)
    return pl.select(pl.lit(latest).dt.month_end()).item()


def consolidate(inputs: StoppageInputs) -> pl.DataFrame:
    """Every stoppage episode, including `return_only` ones (a nature 05 and nothing else,
    which are not stoppages but the evidence of a return declared with no stoppage)."""
    rows = _ordered(inputs.stoppages)
    declared = rows.filter(pl.col("reason") != CANCELLATION_REASON)
    episodes = (
        _prolongation_marks(declared)
        .group_by(EPISODE_KEY, maintain_order=True)
        .agg(
            pl.col("siren").last(),
            pl.col("siret").last(),
            pl.col("built_on").min().alias("first_seen"),
            pl.col("file_id").sort_by("built_on").first().alias("first_file"),
            pl.col("file_id").last().alias("last_file"),
            pl.col("file_id").unique(maintain_order=True).alias("files"),
            (pl.col("nature") == "04").any().alias("announced_by_signalement"),
            (pl.col("nature") == "01").any().alias("in_monthly"),
            (pl.col("nature") == "05").all().alias("return_only"),
            pl.col("planned_end").drop_nulls().first().alias("initial_planned_end"),
            pl.col("planned_end").drop_nulls().last(),
            pl.struct(
                pl.col("previous_planned_end").alias("from"),
                pl.col("planned_end").alias("to"),
                pl.col("built_on").alias("declared_on"),
                "file_id",
            )
            .filter(pl.col("prolongs"))
            .alias("prolongations"),
            pl.col("return_date").drop_nulls().last(),
            pl.col("return_reason").drop_nulls().last(),
            pl.col("file_id")
            .filter(pl.col("return_date").is_not_null())
            .last()
            .alias("return_file"),
            pl.struct("subrogation_start", "subrogation_end")
            .filter(pl.col("subrogation_start").is_not_null())
            .unique(maintain_order=True)
            .alias("subrogation_periods"),
            pl.col("subrogation").drop_nulls().last(),
            pl.col("subrogation_start").drop_nulls().last(),
            pl.col("subrogation_end").drop_nulls().last(),
            pl.col("accident_date").drop_nulls().first(),
        )
    )
    episodes = episodes.join(
        _therapeutic_periods(declared, inputs.therapeutic), on=EPISODE_KEY, how="left"
    )
    episodes = _apply_cancellations(episodes, rows.filter(pl.col("reason") == CANCELLATION_REASON))
    return (
        episodes.with_columns(
            episode_id=opaque_id(EPISODE_KEY),
            first_day_off=pl.col("last_day_worked") + pl.duration(days=1),
            prolongation_count=pl.col("prolongations").list.len().cast(pl.UInt32),
            therapeutic_periods=pl.col("therapeutic_periods").fill_null([]),
        )
        .with_columns(status=_status())
        .with_columns(_forget_return_if_cancelled("return_date", "return_reason", "return_file"))
        .select(EPISODE_COLUMNS)
        .sort("siren", "employee_key", "contract_start", "contract_number", "first_day_off")
    )


EPISODE_COLUMNS = [
    "episode_id",
    "siren",
    "siret",
    *CONTRACT_KEY,
    "reason",
    "last_day_worked",
    "first_day_off",
    "initial_planned_end",
    "planned_end",
    "prolongation_count",
    "prolongations",
    "return_date",
    "return_reason",
    "status",
    "cancelled_on",
    "subrogation",
    "subrogation_start",
    "subrogation_end",
    "subrogation_periods",  # every (start, end) declared, in order: the history
    "therapeutic_periods",
    "accident_date",
    "announced_by_signalement",
    "in_monthly",
    "return_only",
    "first_seen",
    "first_file",
    "last_file",
    "return_file",
    "files",
]


def stoppage_episodes(episodes: pl.DataFrame) -> pl.DataFrame:
    """The episodes that are stoppages (the ones the portal and the claims team see)."""
    return episodes.filter(~pl.col("return_only"))


def _ordered(rows: pl.DataFrame) -> pl.DataFrame:
    observed_on = (
        pl.when(pl.col("nature") == "01")
        .then(pl.col("month").dt.month_end())
        .otherwise(pl.col("built_on"))
    )
    return rows.filter(pl.col("last_day_worked").is_not_null()).sort(
        *EPISODE_KEY,
        observed_on.fill_null(pl.col("built_on")),
        pl.col("nature").replace_strict(_NATURE_ORDER, default=3, return_dtype=pl.UInt8),
        "built_on",
        "file_id",
        "instance_id",
        nulls_last=False,
    )


def _prolongation_marks(declared: pl.DataFrame) -> pl.DataFrame:
    """Mark each observation whose planned end is later than every one declared before it."""
    previous = pl.col("planned_end").forward_fill().cum_max().shift(1).over(EPISODE_KEY)
    return declared.with_columns(previous_planned_end=previous).with_columns(
        prolongs=(pl.col("planned_end") > pl.col("previous_planned_end")).fill_null(False)
    )


def _therapeutic_periods(declared: pl.DataFrame, therapeutic: pl.DataFrame) -> pl.DataFrame:
    periods = declared.select(*EPISODE_KEY, "file_id", "instance_id").join(
        therapeutic,
        left_on=["file_id", "instance_id"],
        right_on=["file_id", "stoppage_instance_id"],
        how="inner",
    )
    return (
        periods.unique(subset=[*EPISODE_KEY, "period_start", "period_end"], keep="last")
        .sort(*EPISODE_KEY, "period_start")
        .group_by(EPISODE_KEY, maintain_order=True)
        .agg(pl.struct("period_start", "period_end", "pay").alias("therapeutic_periods"))
    )


def _apply_cancellations(episodes: pl.DataFrame, cancellations: pl.DataFrame) -> pl.DataFrame:
    """A 99 cancels the stoppages of its contract and last day worked declared before it."""
    cancelled = episodes.select(*EPISODE_KEY, "first_seen").join(
        cancellations.select(*STOPPAGE_KEY, pl.col("built_on").alias("cancelled_on")),
        on=STOPPAGE_KEY,
        how="inner",
    )
    first_cancellation = (
        cancelled.filter(pl.col("cancelled_on") >= pl.col("first_seen"))
        .group_by(EPISODE_KEY)
        .agg(pl.col("cancelled_on").min())
    )
    return episodes.join(first_cancellation, on=EPISODE_KEY, how="left")


def _status() -> pl.Expr:
    return (
        pl.when(pl.col("cancelled_on").is_not_null())
        .then(pl.lit(EpisodeStatus.CANCELLED.value))
        .when(pl.col("return_date").is_not_null())
        .then(pl.lit(EpisodeStatus.ENDED.value))
        .when(pl.col("prolongation_count") > 0)
        .then(pl.lit(EpisodeStatus.PROLONGED.value))
        .otherwise(pl.lit(EpisodeStatus.ONGOING.value))
    )


def _forget_return_if_cancelled(*columns: str) -> list[pl.Expr]:
    """A cancelled stoppage never happened: a return declared for it means nothing."""
    cancelled = pl.col("status") == EpisodeStatus.CANCELLED.value
    return [pl.when(cancelled).then(None).otherwise(pl.col(c)).alias(c) for c in columns]


def last_day_off(as_of: date | None) -> pl.Expr:
    """The last day of the episode the data vouches for: the day before the return, else the
    observation end (an open stoppage is still running then)."""
    return (
        pl.when(pl.col("return_date").is_not_null())
        .then(pl.col("return_date") - pl.duration(days=1))
        .otherwise(pl.lit(as_of, pl.Date))
    )
