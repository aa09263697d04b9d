"""Nights as files really arrive: a signalement before its establishment's first monthly DSN,
one night at a time, run whole with `dsnpipe run` on hand-written DSN text."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.pseudonym_key import use_test_pseudonym_key
from tests.quality.stoppage_cases import SIREN, SIRET, Stoppage, signalement
from tests.warehouse.helpers import AUGUST_2019, deliver
from warehouse.connections import connect, connect_serving


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_pseudonym_key(monkeypatch)


def test_a_signalement_before_the_first_monthly_gives_its_establishment_a_siren_and_publishes(
    tmp_path: Path,
) -> None:
    """Signalements have no main month; the establishment they describe still has its SIREN
    (S21.G00.06.001), the night publishes and the new stoppage's signal is on the portal."""
    landing = tmp_path / "landing"
    deliver(landing, "aout.dsn", AUGUST_2019)  # another company, already a client
    stoppage = Stoppage("01", last_day_worked=date(2019, 9, 2), planned_end=date(2019, 9, 30))
    deliver(landing, "arret.dsn", signalement("04", date(2019, 9, 3), stoppage))
    warehouse = tmp_path / "entrepot.duckdb"
    arguments = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    assert main([*arguments, "--night", "2019-09-15"]) == 0
    with connect(warehouse, read_only=True) as connection:
        assert connection.execute(
            "SELECT siren, first_month FROM core.establishments WHERE siret = ?", [SIRET]
        ).fetchall() == [(SIREN, None)]
    with connect_serving(tmp_path / "serving.duckdb") as portal:
        assert portal.execute(
            "SELECT siren FROM portal_v1.establishments WHERE siret = ?", [SIRET]
        ).fetchall() == [(SIREN,)]
        signals = portal.execute(
            "SELECT DISTINCT siren FROM portal_v1.stoppage_signals WHERE first_seen_night = ?",
            [date(2019, 9, 15)],
        ).fetchall()
    assert signals == [(SIREN,)]


def _night_without_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[int, str]:
    landing = tmp_path / "landing"
    deliver(landing, "aout.dsn", AUGUST_2019)
    warehouse = tmp_path / "entrepot.duckdb"
    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), *options])
    return code, capsys.readouterr().out


def test_a_landing_without_reference_files_says_so_in_the_summary_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _night_without_reference(tmp_path, capsys)
    assert code == 0  # a warning: the night publishes what the DSNs alone support
    assert "Aucune fiche de paramétrage de contrat chargée (dossier reference/ absent" in out
    assert "1 contrat(s) déclaré(s) en DSN sans fiche de paramétrage (S-GBASE_BET)" in out
    report = next((tmp_path / "reports").glob("anomalies-*.html")).read_text(encoding="utf-8")
    section = report.index('id="referentiels-manquants"')
    assert section < report.index('class="cartes"')  # at the top, before the counts
    assert "S-GBASE_BET" in report[section:]
    assert (tmp_path / "serving.duckdb").exists()


def test_a_night_requiring_its_reference_files_refuses_to_publish_without_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DSNPIPE_PSEUDONYM_KEY")
    code, out = _night_without_reference(tmp_path, capsys, "--exiger-referentiels")
    assert code == 1
    assert "Publication refusée (référentiels exigés) : 1 contrat(s) déclaré(s)" in out
    assert "Clé de pseudonymisation absente (DSNPIPE_PSEUDONYM_KEY)" in out
    assert not (tmp_path / "serving.duckdb").exists()


def test_the_summary_names_the_companies_the_portal_kept_on_their_last_good_night(
    tmp_path: Path,
) -> None:
    from rich.console import Console

    from pipelines.commands.run import print_warnings
    from pipelines.settings import Settings

    warehouse = tmp_path / "entrepot.duckdb"
    with connect(warehouse, read_only=False) as connection:
        connection.execute(
            "INSERT INTO publish.publications VALUES "
            "('n2', DATE '2024-03-15', 'publiée', NULL, 'serving.duckdb', now())"
        )
        connection.execute(
            "INSERT INTO publish.company_refusals VALUES "
            "('n2', '732829320', 'employees : (siren, …) unique', DATE '2024-03-15', 'n1')"
        )
    console = Console(file=io.StringIO(), width=300)
    print_warnings(console, Settings(tmp_path / "landing", warehouse, tmp_path / "quarantine"))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert (
        "Portail : entreprise 732829320 retenue sur sa dernière bonne nuit, les autres sont "
        "publiées (contrôles en échec : employees : (siren, …) unique)"
    ) in out
