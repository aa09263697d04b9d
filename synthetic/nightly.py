"""The truth as of one night: the expected anomalies and signals the pipeline can know on that
night, when files land one night at a time (`synthetic/TRUTH.md`, « La vérité nuit par nuit »).

An item is true as of night N when the files that reveal it have landed (`known_from` ≤ N), no
later file has undone it (`true_until` empty or after N) and, for a stoppage signal that needs
the employee still off on a day (`still_off_on`), the monthly DSNs in by N reach that day (the
stoppage rules observe up to the end of the latest month a monthly DSN declares). Employees are
keyed as the pipeline knows them that night (`employee_keys.csv`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

__all__ = ["NightTruth", "arrival_nights", "truth_as_of"]


@dataclass(frozen=True)
class NightTruth:
    night: date
    anomalies: pl.DataFrame
    signals: pl.DataFrame


def _read(folder: Path, table: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{table}.csv", infer_schema=False).with_columns(
        pl.all().fill_null("")
    )


def arrival_nights(folder: Path) -> list[date]:
    """Every night a DSN file lands, in order."""
    files = _read(folder, "files").filter(pl.col("arrival") != "")
    return sorted({date.fromisoformat(a[:10]) for a in files["arrival"]})


def _observed_until(files: pl.DataFrame, night: date) -> str:
    """The end of the latest month a monthly DSN landed by `night` declares (ISO), "" if none."""
    months = files.filter(
        (pl.col("nature") == "01")
        & (pl.col("corruption") == "")
        & (pl.col("arrival").str.slice(0, 10) <= night.isoformat())
    )["month"]
    if months.is_empty():
        return ""
    latest = date.fromisoformat(str(months.max()) + "-01")
    return pl.select(pl.lit(latest).dt.month_end()).item().isoformat()


def _keys_as_of(keys: pl.DataFrame, night: str) -> pl.DataFrame:
    """(siren, employee_key) -> the key of the latest month landed by `night` (else the first)."""
    ranked = keys.with_columns(
        landed=(pl.col("known_from") != "") & (pl.col("known_from") <= night)
    ).sort("siren", "employee_key", "landed", "month")
    return ranked.group_by("siren", "employee_key", maintain_order=True).agg(
        pl.when(pl.col("landed").any())
        .then(pl.col("key").filter(pl.col("landed")).last())
        .otherwise(pl.col("key").first())
        .alias("key_tonight")
    )


def _as_of(items: pl.DataFrame, keys: pl.DataFrame, night: str) -> pl.DataFrame:
    true_tonight = (
        (pl.col("known_from") != "")
        & (pl.col("known_from") <= night)
        & ((pl.col("true_until") == "") | (pl.col("true_until") > night))
    )
    return (
        items.filter(true_tonight)
        .join(keys, on=["siren", "employee_key"], how="left")
        .with_columns(employee_key=pl.coalesce("key_tonight", "employee_key"))
        .drop("key_tonight")
    )


def truth_as_of(folder: Path, night: date) -> NightTruth:
    """The truth of the generated portfolio whose truth folder is `folder`, as of `night`."""
    files = _read(folder, "files")
    iso = night.isoformat()
    keys = _keys_as_of(_read(folder, "employee_keys"), iso)
    observed = _observed_until(files, night)
    signals = _as_of(_read(folder, "signals"), keys, iso).filter(
        (pl.col("still_off_on") == "") | (pl.col("still_off_on") <= observed)
    )
    return NightTruth(night, _as_of(_read(folder, "anomalies"), keys, iso), signals)
