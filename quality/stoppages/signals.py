"""Stoppage signals for the provident claims team: one function per rule, one row per signal.

Every rule reads the consolidated episodes (with `contract_reference`: the provident contract
covering the employee, null when none) and returns SIGNAL_COLUMNS. Dates are those the claims
team acts on; `stoppage_first_day` ties a signal to its episode.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from quality.stoppages.catalogue import SIGNAL_LABELS, EpisodeStatus, Signal
from quality.stoppages.episodes import CONTRACT_KEY, last_day_off
from quality.stoppages.tables import SIGNALS

# What a signal rule finds (stoppage.signals without the columns the night adds: its id, its
# catalogue severity and label, and the nights it was seen).
SIGNAL_COLUMNS = SIGNALS.polars_schema(
    exclude=("signal_id", "severity", "label", "first_seen_night", "last_seen_night")
)
OUTPUT_COLUMNS = [*SIGNAL_COLUMNS, "severity", "label"]

# An open stoppage this long calls for an invalidity review.
INVALIDITY_REVIEW_DAYS = 365


def _signal(
    code: Signal, on: pl.Expr, file_id: str, detail: pl.Expr | None = None
) -> list[pl.Expr]:
    return [
        pl.lit(code.value).alias("code"),
        pl.col("siren"),
        pl.col("siret"),
        *(pl.col(k) for k in CONTRACT_KEY),
        pl.col("contract_reference"),
        pl.col("first_day_off").alias("stoppage_first_day"),
        on.alias("signal_date"),
        pl.col(file_id).alias("file_id"),
        pl.col("episode_id"),
        (detail if detail is not None else pl.lit(None, pl.String)).alias("detail"),
    ]


def _stoppages(episodes: pl.DataFrame) -> pl.DataFrame:
    return episodes.filter(~pl.col("return_only"))


def _maintained(episodes: pl.DataFrame) -> pl.DataFrame:
    """Stoppages not cancelled."""
    return _stoppages(episodes).filter(pl.col("status") != EpisodeStatus.CANCELLED.value)


def new_stoppages(episodes: pl.DataFrame) -> pl.DataFrame:
    """ARR001 on the first day off, cancelled ones included (they were announced)."""
    return _stoppages(episodes).select(
        _signal(Signal.NEW_STOPPAGE, pl.col("first_day_off"), "first_file", pl.col("reason"))
    )


def prolongations(episodes: pl.DataFrame) -> pl.DataFrame:
    """ARR002 for each later planned end, dated the first day of the extra days."""
    exploded = (
        _maintained(episodes)
        .explode("prolongations")
        .filter(pl.col("prolongations").is_not_null())
        .unnest("prolongations")
    )
    return exploded.select(
        _signal(
            Signal.PROLONGATION,
            pl.col("from") + pl.duration(days=1),
            "file_id",
            pl.concat_str(
                pl.col("from").cast(pl.String), pl.col("to").cast(pl.String), separator=" -> "
            ),
        )
    )


def returns(episodes: pl.DataFrame) -> pl.DataFrame:
    """ARR003 on the return date (60.010, from a monthly DSN or a signalement 05)."""
    return (
        _maintained(episodes)
        .filter(pl.col("return_date").is_not_null())
        .select(
            _signal(Signal.RETURN, pl.col("return_date"), "return_file", pl.col("return_reason"))
        )
    )


def franchise_reached(episodes: pl.DataFrame) -> pl.DataFrame:
    """ARR004 on the day daily allowances would start (see franchise.py)."""
    return episodes.filter(pl.col("allowances_start").is_not_null()).select(
        _signal(
            Signal.FRANCHISE_REACHED,
            pl.col("allowances_start"),
            "first_file",
            pl.concat_str(
                pl.col("franchise_days").cast(pl.String),
                pl.lit("jours"),
                pl.col("franchise_mode"),
                separator=" ",
            ),
        )
    )


def longer_than_a_year(episodes: pl.DataFrame, as_of: date | None) -> pl.DataFrame:
    """ARR005 when the stoppage has lasted a year (still off on first day + 365)."""
    review = pl.col("first_day_off") + pl.duration(days=INVALIDITY_REVIEW_DAYS)
    return (
        _maintained(episodes)
        .filter(review <= last_day_off(as_of))
        .select(_signal(Signal.LONGER_THAN_A_YEAR, review, "first_file"))
    )


def returns_without_stoppage(episodes: pl.DataFrame, monthly: pl.DataFrame) -> pl.DataFrame:
    """ARR006: a signalement 05 for a stoppage no other file shows, once the monthly DSN of the
    return month is in (it would have repeated the stoppage)."""
    ghosts = episodes.filter(pl.col("return_only") & pl.col("return_date").is_not_null())
    return (
        _with_monthly_of(ghosts, monthly, pl.col("return_date"))
        .select(_signal(Signal.RETURN_WITHOUT_STOPPAGE, pl.col("return_date"), "first_file"))
        # A lone return is no stoppage episode: the signal must not point to one.
        .with_columns(pl.lit(None, pl.String).alias("episode_id"))
    )


def overlapping(episodes: pl.DataFrame, as_of: date | None) -> pl.DataFrame:
    """ARR007 on a stoppage starting while an earlier one of the same contract still runs."""
    spans = _maintained(episodes).with_columns(span_end=last_day_off(as_of))
    earlier = spans.select(
        *CONTRACT_KEY,
        pl.col("episode_id").alias("earlier_id"),
        pl.col("first_day_off").alias("earlier_first"),
        pl.col("span_end").alias("earlier_end"),
        pl.col("reason").alias("earlier_reason"),
    )
    pairs = spans.join(earlier, on=CONTRACT_KEY, how="inner").filter(
        (pl.col("earlier_id") != pl.col("episode_id"))
        & (
            (pl.col("earlier_first") < pl.col("first_day_off"))
            | (
                (pl.col("earlier_first") == pl.col("first_day_off"))
                & (pl.col("earlier_id") < pl.col("episode_id"))
            )
        )
        & (pl.col("first_day_off") <= pl.col("earlier_end"))
    )
    return (
        pairs.sort("earlier_first")
        .unique(subset="episode_id", keep="first", maintain_order=True)
        .select(
            _signal(
                Signal.OVERLAPPING_STOPPAGES,
                pl.col("first_day_off"),
                "first_file",
                pl.concat_str(
                    pl.lit("chevauche l'arrêt "),
                    pl.col("earlier_reason"),
                    pl.lit(" du "),
                    pl.col("earlier_first").cast(pl.String),
                ),
            )
        )
    )


def signalement_not_in_monthly(episodes: pl.DataFrame, monthly: pl.DataFrame) -> pl.DataFrame:
    """ARR008: announced by a signalement 04, absent from every monthly DSN, once the monthly
    DSN of the establishment for the month of the first day off is in."""
    missing = _maintained(episodes).filter(
        pl.col("announced_by_signalement") & ~pl.col("in_monthly")
    )
    return _with_monthly_of(missing, monthly, pl.col("first_day_off")).select(
        _signal(Signal.SIGNALEMENT_NOT_IN_MONTHLY, pl.col("first_day_off"), "first_file")
    )


def subrogation_ended_while_off(episodes: pl.DataFrame, as_of: date | None) -> pl.DataFrame:
    """ARR009: the employer stopped paying in place of social security before the return."""
    return (
        _maintained(episodes)
        .filter(pl.col("subrogation_end") < last_day_off(as_of))
        .select(
            _signal(Signal.SUBROGATION_ENDED_WHILE_OFF, pl.col("subrogation_end"), "first_file")
        )
    )


def employee_event_signals(events: pl.DataFrame) -> pl.DataFrame:
    """ARR010 invalidity and ARR011 death, for an employee a provident contract covers."""
    code = (
        pl.when(pl.col("event") == "décès")
        .then(pl.lit(Signal.DEATH.value))
        .otherwise(pl.lit(Signal.INVALIDITY.value))
    )
    return events.filter(pl.col("contract_reference").is_not_null()).select(
        code.alias("code"),
        "siren",
        "siret",
        *CONTRACT_KEY,
        "contract_reference",
        pl.lit(None, pl.Date).alias("stoppage_first_day"),
        pl.col("event_date").alias("signal_date"),
        pl.col("first_file").alias("file_id"),
        pl.lit(None, pl.String).alias("episode_id"),
        "detail",
    )


def _with_monthly_of(frame: pl.DataFrame, monthly: pl.DataFrame, day: pl.Expr) -> pl.DataFrame:
    """Rows of `frame` for which a monthly DSN of the same SIRET covers the month of `day` or a
    later one."""
    latest = monthly.group_by("siret").agg(pl.col("month").max().alias("latest_monthly"))
    return (
        frame.join(latest, on="siret", how="inner")
        .filter(day.dt.month_start() <= pl.col("latest_monthly"))
        .drop("latest_monthly")
    )


def all_signals(
    episodes: pl.DataFrame, events: pl.DataFrame, monthly: pl.DataFrame, as_of: date | None
) -> pl.DataFrame:
    """Every rule's signals, labelled (French) and sorted."""
    found = [
        new_stoppages(episodes),
        prolongations(episodes),
        returns(episodes),
        franchise_reached(episodes),
        longer_than_a_year(episodes, as_of),
        returns_without_stoppage(episodes, monthly),
        overlapping(episodes, as_of),
        signalement_not_in_monthly(episodes, monthly),
        subrogation_ended_while_off(episodes, as_of),
        employee_event_signals(events),
    ]
    signals = pl.concat(
        [f.select(pl.col(c).cast(t) for c, t in SIGNAL_COLUMNS.items()) for f in found]
    )
    severity = {code.value: s for code, (s, _) in SIGNAL_LABELS.items()}
    label = {code.value: text for code, (_, text) in SIGNAL_LABELS.items()}
    return signals.with_columns(
        severity=pl.col("code").replace_strict(severity),
        label=pl.col("code").replace_strict(label),
    ).sort("siren", "employee_key", "signal_date", "code", nulls_last=True)
