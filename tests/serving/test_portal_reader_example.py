"""The SQLAlchemy example of the portal's access works on a published file, read-only, and
follows the nightly swap where a naive reader keeps reading the old night."""

from __future__ import annotations

import importlib.util
import shutil
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
    portal = reader.PortalReader(str(night.serving))
    overview = reader.company_overview(portal, siren)
    portal.close()
    assert overview["night_id"] == night_id
    assert overview["employment_contracts"] == contracts


def test_the_example_cannot_write(night: Night) -> None:
    reader = _example().PortalReader(str(night.serving))
    with reader.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        connection.execute(sa.text("DELETE FROM portal_v1.companies"))
    reader.close()


def _publish_again(serving: Path, night_id: str) -> None:
    """Tonight's snapshot swapped in as the night does: another file renamed over the served one."""
    candidate = serving.with_name("candidate.duckdb")
    shutil.copyfile(serving, candidate)
    with duckdb.connect(str(candidate)) as writer:
        writer.execute("UPDATE portal_v1.publication SET night_id = ?", [night_id])
    candidate.replace(serving)


def test_the_reader_follows_the_swap_where_a_naive_connection_reads_the_old_night(
    night: Night, tmp_path: Path
) -> None:
    example = _example()
    serving = tmp_path / "serving.duckdb"
    shutil.copyfile(night.serving, serving)
    reader = example.PortalReader(str(serving))
    [siren, *_] = example.companies(reader)
    before = example.company_overview(reader, siren)["night_id"]
    _publish_again(serving, "nuit-suivante")
    # the trap: while the reader's connection is open, a new one joins it and reads the old file
    naive = sa.create_engine(
        f"duckdb:///{serving}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool
    )
    with naive.connect() as connection:
        stale = connection.execute(sa.text("SELECT night_id FROM portal_v1.publication"))
        assert stale.scalar_one() == before
    naive.dispose()
    assert example.company_overview(reader, siren)["night_id"] == "nuit-suivante"
    reader.close()


def test_the_example_lists_companies_without_a_siren_and_names_contracts_with_one(
    night: Night, capsys: pytest.CaptureFixture[str]
) -> None:
    example = _example()
    assert example.main([str(night.serving)]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("Entreprises publiées : ")
    siren = listed.split(": ", 1)[1].split(",")[0].strip()
    assert example.main([str(night.serving), siren]) == 0
    out = capsys.readouterr().out
    assert "contrat(s) de travail" in out and "affiliation(s)" in out
    period_lines = [line for line in out.splitlines() if " : dû " in line]
    assert period_lines and all("\u00a0€" in line for line in period_lines)
    assert example.main([]) == 2
