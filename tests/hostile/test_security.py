"""Values read from files never become paths, personal-data outputs are owner-only, the
pseudonym key is long enough, and published identifiers do not carry the NIR."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import PSEUDONYM_KEY_VARIABLE as KEY_VARIABLE
from pipelines.settings import UMASK_VARIABLE, restrict_file_modes
from serving.comptes_rendus import write_comptes_rendus
from serving.pseudonym import MissingPseudonymKeyError, pseudonym_key
from tests.quality.stoppage_cases import ILLNESS, MAR, NIR, monthly, run
from warehouse.connections import connect
from warehouse.registry import FileKind, ReceivedFile, copy_to_quarantine


def _declaration(
    connection: duckdb.DuckDBPyConnection, siren: str, siret: str, nature: str, number: int
) -> None:
    connection.execute(
        "INSERT INTO staging.declarations (file_id, declaration_id, nature, month, siren, siret,"
        " status) VALUES (?, ?, ?, ?, ?, ?, 3)",
        ["f" * 64, number, nature, date(2024, 1, 1), siren, siret],
    )


def test_a_siren_read_from_a_declaration_never_writes_outside_the_output_directory(
    tmp_path: Path,
) -> None:
    out = tmp_path / "sortie" / "comptes_rendus"
    with connect(tmp_path / "entrepot.duckdb", read_only=False) as connection:
        _declaration(connection, "../../evade", "../../x" + "0" * 7, "/etc", 1)  # tmp_path/evade
        _declaration(connection, "123456789", "12345678900011", "01", 2)
        assert write_comptes_rendus(connection, out) == 2
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    assert written == [
        "123456789/2024-01/12345678900011_01_ffffffffffff_2.json",
        "sans-siren/2024-01/sans-siret_sans-nature_ffffffffffff_1.json",
    ]
    assert not (tmp_path / "evade").exists() and not list(tmp_path.glob("*evade*"))
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.rglob("*.json"))


@pytest.mark.parametrize("key", ["a", "x" * 31])
def test_a_pseudonym_key_shorter_than_32_bytes_is_refused_in_french(key: str) -> None:
    with pytest.raises(MissingPseudonymKeyError, match=r"trop courte.*au moins 32"):
        pseudonym_key(key, None, KEY_VARIABLE)


def test_a_pseudonym_key_of_32_bytes_is_accepted() -> None:
    assert pseudonym_key("é" * 16, None, KEY_VARIABLE) == ("é" * 16).encode()  # 32 UTF-8 bytes


def test_a_tampered_demo_key_file_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("court")
    with pytest.raises(MissingPseudonymKeyError, match="trop courte"):
        pseudonym_key(None, key_file, KEY_VARIABLE)


def test_the_entry_points_make_outputs_owner_only_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UMASK_VARIABLE, raising=False)
    assert restrict_file_modes() == 0o077
    (tmp_path / "rapports").mkdir()
    (tmp_path / "rapports" / "rapport.html").write_text("NIR")
    assert stat.S_IMODE((tmp_path / "rapports").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "rapports" / "rapport.html").stat().st_mode) == 0o600

    monkeypatch.setenv(UMASK_VARIABLE, "027")
    assert restrict_file_modes() == 0o027
    monkeypatch.setenv(UMASK_VARIABLE, "lisible")
    with pytest.raises(ValueError, match="DSNPIPE_UMASK invalide"):
        restrict_file_modes()


def test_quarantine_copies_are_owner_only_even_over_an_older_readable_copy(
    tmp_path: Path,
) -> None:
    os.umask(0o022)  # whatever the process umask
    source = tmp_path / "envoi.dsn"
    source.write_bytes(b"S10.G00.00.001,'X'\n")
    received = ReceivedFile("ab" * 32, FileKind.DSN, source, source.name)
    quarantine = tmp_path / "quarantine"
    quarantine.mkdir(mode=0o755)
    older = quarantine / f"{'ab' * 8}_envoi.dsn"
    older.write_bytes(b"ancienne copie")
    older.chmod(0o644)

    copy = copy_to_quarantine(received, quarantine, "Motif.")

    note = copy.with_name(copy.name + ".motif.txt")
    assert copy.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(note.stat().st_mode) == 0o600


def test_a_quarantined_file_name_cannot_climb_out_of_the_quarantine(tmp_path: Path) -> None:
    source = tmp_path / "x.dsn"
    source.write_bytes(b"x")
    received = ReceivedFile("cd" * 32, FileKind.DSN, source, "../../evade\nnom.dsn")
    copy = copy_to_quarantine(received, tmp_path / "quarantine", "Motif.")
    assert copy.parent == tmp_path / "quarantine"
    assert "\n" not in copy.name and "/" not in copy.name


def test_stoppage_identifiers_do_not_carry_the_nir() -> None:
    results = run(monthly(MAR, ILLNESS))
    [episode_id] = results.episodes["episode_id"].to_list()
    assert NIR not in episode_id and len(episode_id) == 64
    assert run(monthly(MAR, ILLNESS)).episodes["episode_id"].to_list() == [episode_id]  # stable
    assert not results.signals.is_empty()
    assert all(NIR not in (value or "") for value in results.signals["episode_id"].to_list())
