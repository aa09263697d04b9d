"""The SQLAlchemy example of the portal's access works on a published file, read-only."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
import sqlalchemy as sa

from tests.serving.nights import Night

EXAMPLE = Path(__file__).parents[2] / "examples" / "portal_reader.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portal_reader", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_reads_one_company_of_one_night(night: Night) -> None:
    reader = _example()
    with duckdb.connect(str(night.serving), read_only=True) as serving:
        siren, contracts, night_id = serving.execute(
            "SELECT e.siren, count(*), any_value(p.night_id) FROM portal_v1.employees AS e, "
            "portal_v1.publication AS p GROUP BY e.siren ORDER BY e.siren LIMIT 1"
        ).fetchone()  # type: ignore[misc]
    overview = reader.company_overview(reader.serving_engine(str(night.serving)), siren)
    assert overview["night_id"] == night_id
    assert len(overview["employees"]) == contracts


def test_the_example_cannot_write(night: Night) -> None:
    engine = _example().serving_engine(str(night.serving))
    with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        connection.execute(sa.text("DELETE FROM portal_v1.companies"))
