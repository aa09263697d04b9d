"""The warehouse's own tables, declared once (`warehouse.schema`): its bookkeeping and the file
registry (`registry`), what the readers produced (`staging`), the core model (`core`); the
columns they share with the domains' tables (`columns`)."""

from __future__ import annotations

from warehouse.schema import Table
from warehouse.tables.core import CORE_TABLES
from warehouse.tables.registry import REGISTRY_TABLES
from warehouse.tables.staging import STAGING_TABLES

WAREHOUSE_TABLES: tuple[Table, ...] = (*REGISTRY_TABLES, *STAGING_TABLES, *CORE_TABLES)
