"""The steward report: Excel read back with openpyxl, HTML rendered in a headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest
from lxml import html as lxml_html

from quality.anomalies.catalogue import RULES
from quality.anomalies.lifecycle import update_register
from quality.report import ReportFiles, write_steward_report
from tests.quality.detections import COMPANIES, REPORT_NIGHT, report_detections
from warehouse.migrations import apply_migrations


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportFiles]:
    with duckdb.connect(":memory:") as connection:
        apply_migrations(connection)
        update_register(connection, report_detections(1), REPORT_NIGHT - timedelta(days=1))
        update_register(connection, report_detections(2), REPORT_NIGHT)
        yield write_steward_report(
            connection, REPORT_NIGHT, tmp_path_factory.mktemp("report"), COMPANIES
        )


def test_the_workbook_lists_the_anomalies_to_handle(report: ReportFiles) -> None:
    workbook = openpyxl.load_workbook(report.excel)
    assert workbook.sheetnames == ["Anomalies à traiter", "Synthèse par règle", "Mode d'emploi"]
    sheet = workbook["Anomalies à traiter"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:8] == (
        "Identifiant",
        "Code",
        "Anomalie",
        "Gravité",
        "Statut",
        "Nouvelle",
        "SIREN",
        "SIRET",
    )
    by_employee = {
        row[header.index("Salarié")]: dict(zip(header, row, strict=True)) for row in rows[1:]
    }
    # each anomaly says what to do, in the catalogue's words
    dupont = by_employee["DUPONT Jean"]
    assert dupont["Que faire"] and "forcer l'affiliation" in dupont["Que faire"]
    # the NTT anomaly of the first night is gone: resolved by data, not in the workbook
    assert set(by_employee) == {
        "DUPONT Jean",
        "LÉGER Anaïs",
        "D'ARTAGNAN Charles",
        "<script>alert(1)</script>",
    }
    radiated = by_employee["D'ARTAGNAN Charles"]
    assert radiated["Code"] == "AFF015"
    assert radiated["Gravité"] == "Bloquante"
    assert radiated["Nouvelle"] == "oui"
    assert radiated["NIR / NTT"] == "1780299000222"  # text: no number, no lost digit
    assert radiated["SIRET"] == "73282932000082"
    assert radiated["Date d'affiliation"] == datetime(2025, 1, 1)
    assert radiated["Vue depuis"] == datetime(2026, 11, 21)
    assert by_employee["DUPONT Jean"]["Nouvelle"] == "non"
    assert by_employee["DUPONT Jean"]["Vue depuis"] == datetime(2026, 11, 20)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:V{len(rows)}"  # the decision columns filter too
    assert sheet.column_dimensions["N"].width > 50  # the detail column is wide


def test_the_workbook_has_decision_columns_a_steward_fills(report: ReportFiles) -> None:
    workbook = openpyxl.load_workbook(report.excel)
    sheet = workbook["Anomalies à traiter"]
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    assert header[0] == "Identifiant"
    assert header[-4:] == ("Décision", "Motif", "Date d'effet", "Gestionnaire")
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    last = sheet.max_row
    decision = validations[f"S2:S{last}"]
    assert decision.type == "list"
    assert decision.formula1 == (
        '"prendre en charge,résoudre,forcer l\'affiliation,forcer la radiation"'
    )
    assert validations[f"U2:U{last}"].type == "date"
    assert sheet[f"U{last}"].number_format == "dd/mm/yyyy"
    how_to = " ".join(str(v) for (v,) in workbook["Mode d'emploi"].iter_rows(values_only=True) if v)
    assert "répertoire des décisions" in how_to and "nuit suivante" in how_to
    assert workbook.custom_doc_props["dsnpipe:nuit"].value == "2026-11-21"


def test_the_summary_sheet_counts_every_rule_of_the_catalogue(report: ReportFiles) -> None:
    sheet = openpyxl.load_workbook(report.excel)["Synthèse par règle"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_code) == {rule.code for rule in RULES}
    assert by_code["AFF015"]["Nouvelles"] == 1
    assert by_code["AFF006"]["Résolues par les données"] == 1
    assert by_code["AFF006"]["À traiter"] == 0
    assert by_code["AFF001"]["À traiter"] == 1
    assert sheet.freeze_panes == "A2"


def test_the_page_is_self_contained_and_escapes_declared_values(report: ReportFiles) -> None:
    page = report.html.read_text(encoding="utf-8")
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//*[@src] | //link[@href] | //a[starts-with(@href, 'http')]")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert sorted(h.text_content() for h in tree.xpath("//section//h3")) == [
        "SIREN 552100554 — TRANSPORTS LEROUX",
        "SIREN 732829320 — BOULANGERIE DU PORT",
    ]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def rendered_dom(page: Path, fragment: str, profile: Path) -> lxml_html.HtmlElement:
    """The DOM after the page's scripts ran, as a real headless Chromium sees it."""
    chromium = _chromium()
    assert chromium is not None
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=2000",
            "--dump-dom",
            f"{page.resolve().as_uri()}{fragment}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return lxml_html.fromstring(result.stdout)


def visible_rows(dom: lxml_html.HtmlElement) -> list[str]:
    return dom.xpath("//tr[contains(@class, 'anomalie')][not(@hidden)]/@data-id")


@pytest.mark.browser
@pytest.mark.skipif(
    _chromium() is None,
    reason="Chromium absent : apt-get update && apt-get install -y chromium",
)
def test_the_page_renders_and_filters_in_chromium(report: ReportFiles, tmp_path: Path) -> None:
    # Accents and case do not matter; the company without a match is hidden.
    one = rendered_dom(report.html, "#filtre=leger", tmp_path / "profile")
    assert len(one.xpath("//tr[contains(@class, 'anomalie')]")) == 4
    assert "1 anomalie(s) affichée(s) sur 4" in one.get_element_by_id("compteur").text
    [row_id] = visible_rows(one)
    assert "LÉGER Anaïs" in one.xpath(f"//tr[@data-id='{row_id}']")[0].text_content()
    assert one.xpath("//section[@data-siren='732829320'][@hidden]")
    assert not one.xpath("//section[@data-siren='552100554'][@hidden]")

    blocking = rendered_dom(report.html, "#gravite=error", tmp_path / "profile")
    assert sorted(
        blocking.xpath("//tr[contains(@class, 'anomalie')][not(@hidden)]/td[2]/text()")
    ) == ["AFF001", "AFF015"]


def test_a_night_without_anomalies_still_gives_a_report(tmp_path: Path) -> None:
    with duckdb.connect(":memory:") as connection:
        apply_migrations(connection)
        update_register(connection, report_detections(1).clear(), REPORT_NIGHT)
        files = write_steward_report(connection, REPORT_NIGHT, tmp_path)
    assert "Aucune anomalie à traiter." in files.html.read_text(encoding="utf-8")
    rows = list(openpyxl.load_workbook(files.excel)["Anomalies à traiter"].iter_rows())
    assert len(rows) == 1  # the header only


# Run after the page's own script: writes what Chromium laid out into the DOM it dumps.
_LAYOUT_PROBE = """<script>
document.querySelectorAll(".piste, .plein, .que-faire").forEach(function (e) {
  var box = e.getBoundingClientRect();
  e.dataset.largeur = box.width.toFixed(1);
  e.dataset.hauteur = box.height.toFixed(1);
});
</script></body>"""


def rendered_with_layout(page: Path, fragment: str, tmp_path: Path) -> lxml_html.HtmlElement:
    probed = tmp_path / page.name
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _LAYOUT_PROBE), encoding="utf-8"
    )
    return rendered_dom(probed, fragment, tmp_path / "profile")


def employees_by_company(dom: lxml_html.HtmlElement) -> dict[str, list[str]]:
    return {
        section.get("data-siren"): [
            row.xpath("td[6]")[0].text_content() for row in section.xpath(".//tr[@data-id]")
        ]
        for section in dom.xpath("//section[@data-siren]")
    }


def size(element: lxml_html.HtmlElement, name: str) -> float:
    return float(element.get(f"data-{name}"))


@pytest.mark.browser
@pytest.mark.skipif(
    _chromium() is None,
    reason="Chromium absent : apt-get update && apt-get install -y chromium",
)
def test_charts_actions_and_sorting_in_chromium(report: ReportFiles, tmp_path: Path) -> None:
    dom = rendered_with_layout(report.html, "#tri=12", tmp_path)

    # Charts: one bar per rule with anomalies to handle, drawn as wide as its count says.
    bars = dom.xpath("//div[@id='graphique-regles']/div[@class='barre']")
    counts = {b.xpath(".//span[@class='etiquette']")[0].text: int(b[-1].text) for b in bars}
    assert counts == {"AFF001": 1, "AFF010": 1, "AFF012": 1, "AFF015": 1}
    for bar in bars:
        [track] = bar.xpath(".//span[@class='piste']")
        [fill] = bar.xpath(".//span[@class='plein']")
        assert size(track, "largeur") > 50 and size(fill, "hauteur") > 0
        assert size(fill, "largeur") == pytest.approx(size(track, "largeur"), abs=1)
    companies = dom.xpath("//div[@id='graphique-entreprises']//span[@class='plein']")
    assert len(companies) == 2 and all(size(b, "largeur") > 50 for b in companies)
    # The trend: 3 anomalies detected the first night, 4 the second; bars in proportion.
    trend = dom.xpath("//div[@id='graphique-tendance']/div[@class='barre']")
    assert [int(b[-1].text) for b in trend] == [3, 4]
    first, second = (size(b.xpath(".//span[@class='plein']")[0], "largeur") for b in trend)
    assert first > 0 and first / second == pytest.approx(3 / 4, abs=0.02)

    # Every anomaly says what to do, laid out (not hidden), in the catalogue's words.
    rows = dom.xpath("//tr[contains(@class, 'anomalie')]")
    assert len(rows) == 4
    for row in rows:
        [action] = row.xpath(".//div[@class='que-faire']")
        assert action.text_content().startswith("Que faire :")
        assert len(action.text_content()) > len("Que faire : ") + 20
        assert size(action, "hauteur") > 0
    rule_of = {r.get("data-id"): r.xpath("td[2]")[0].text for r in rows}
    explanations = {rule.code: rule.explanation for rule in RULES}
    for row in rows:
        text = row.xpath(".//div[@class='que-faire']")[0].text_content()
        assert explanations[rule_of[row.get("data-id")]] in text

    # Sorted on load by « Vue depuis » (a date column), in every company's table.
    assert employees_by_company(dom) == {
        "732829320": ["DUPONT Jean", "D'ARTAGNAN Charles"],
        "552100554": ["LÉGER Anaïs", "<script>alert(1)</script>"],
    }
    assert dom.xpath("//section[@data-siren]//th[@aria-sort='ascending']/text()") == [
        "Vue depuis",
        "Vue depuis",
    ]

    # By « Salarié » (a text column): the opposite order, accents and case set aside.
    by_name = rendered_dom(report.html, "#tri=5", tmp_path / "profile")
    assert employees_by_company(by_name) == {
        "732829320": ["D'ARTAGNAN Charles", "DUPONT Jean"],
        "552100554": ["<script>alert(1)</script>", "LÉGER Anaïs"],
    }
