"""Checks of the stoppage domain: one episode per id, signals of the catalogue only."""

import dagster as dg

from pipelines.resources import WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from pipelines.stoppages.assets import stoppage_results
from quality.stoppages.catalogue import Signal
from warehouse.connections import connect


@dg.asset_check(
    asset=stoppage_results,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Chaque signal relève du catalogue et renvoie à un épisode connu quand il en "
    "cite un.",
)
def signals_known_and_linked(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with connect(warehouse.path, read_only=True) as connection:
        codes = {
            c
            for (c,) in connection.execute("SELECT DISTINCT code FROM stoppage.signals").fetchall()
        }
        [(orphan_count,)] = connection.execute(
            "SELECT count(*) FROM stoppage.signals s WHERE s.episode_id IS NOT NULL AND NOT "
            "EXISTS (SELECT 1 FROM stoppage.episodes e WHERE e.episode_id = s.episode_id)"
        ).fetchall()
    unknown = sorted(codes - {s.value for s in Signal})
    return dg.AssetCheckResult(
        passed=not unknown and orphan_count == 0,
        metadata={"unknown_codes": ", ".join(unknown), "signals_without_episode": orphan_count},
    )


STOPPAGE_CHECKS = [signals_known_and_linked]
