"""The declared tables of the layers above the warehouse (`warehouse.schema`), in one list: the
warehouse package comments its own tables on every writer's connection, and cannot import these
without running back up the flow, so the writers opened here hand them over."""

from __future__ import annotations

from ledgers.tables import LEDGER_TABLES
from quality.affiliation.tables import AFFILIATION_TABLES
from quality.anomalies.tables import ANOMALY_TABLES
from quality.stoppages.tables import STOPPAGE_TABLES
from serving.history_tables import PUBLISH_TABLES
from warehouse.schema import Table

DOMAIN_TABLES: tuple[Table, ...] = (
    *AFFILIATION_TABLES,
    *ANOMALY_TABLES,
    *STOPPAGE_TABLES,
    *LEDGER_TABLES,
    *PUBLISH_TABLES,
)
