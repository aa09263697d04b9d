"""Checks of the affiliation domain: the register speaks only the portal's vocabulary."""

import dagster as dg

from pipelines.affiliation.assets import affiliation_register
from pipelines.resources import WarehouseResource
from pipelines.settings import WAREHOUSE_POOL
from quality.affiliation.states import ALL_STATUSES
from quality.anomalies.catalogue import RULES_BY_CODE
from warehouse.connections import connect


@dg.asset_check(
    asset=affiliation_register,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Chaque état d'affiliation est un des six états du portail et chaque anomalie "
    "relève d'une règle du catalogue.",
)
def states_and_rules_known(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with connect(warehouse.path, read_only=True) as connection:
        statuses = {
            s
            for (s,) in connection.execute(
                "SELECT DISTINCT status FROM core.affiliation_states"
            ).fetchall()
        }
        rules = {
            r for (r,) in connection.execute("SELECT DISTINCT rule_code FROM anomalies").fetchall()
        }
    unknown_statuses = sorted(statuses - set(ALL_STATUSES))
    unknown_rules = sorted(rules - set(RULES_BY_CODE))
    return dg.AssetCheckResult(
        passed=not unknown_statuses and not unknown_rules,
        metadata={
            "unknown_statuses": ", ".join(unknown_statuses),
            "unknown_rules": ", ".join(unknown_rules),
        },
    )


AFFILIATION_CHECKS = [states_and_rules_known]
