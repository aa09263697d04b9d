"""The portal preview, served from the night's snapshot and looked at in headless Chromium: each
section shows the company's own rows, and nothing of another company."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from lxml import html as lxml_html

from serving.preview import SECTIONS
from tests.serving.nights import Night


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def preview(night: Night) -> Iterator[str]:
    """`dsnpipe apercu` in a process of its own, as the staff run it: nothing else in the
    process holds the snapshot."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "apercu",
            "--serving",
            str(night.serving),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def rendered(url: str, profile: Path) -> lxml_html.HtmlElement:
    chromium = _chromium()
    assert chromium is not None
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return lxml_html.fromstring(result.stdout)


def _company_rows(serving: Path, siren: str) -> dict[str, int]:
    """How many rows each section should show, counted straight from the snapshot."""
    counts = {}
    with duckdb.connect(str(serving), read_only=True) as connection:
        for section in SECTIONS:
            alias = section.columns[0][0].split(".", 1)[0]
            [(count,)] = connection.execute(
                f"SELECT count(*) FROM {section.source} WHERE {alias}.siren = ?", [siren]
            ).fetchall()
            counts[section.anchor] = count
    return counts


@pytest.mark.browser
@pytest.mark.skipif(_chromium() is None, reason="Chromium absent : apt-get install -y chromium")
def test_each_section_shows_the_company_rows_in_chromium(
    night: Night, preview: str, tmp_path: Path
) -> None:
    home = rendered(preview + "/", tmp_path / "profile")
    sirens = home.xpath("//tr[@class='entreprise']/td[1]/a/text()")
    assert len(sirens) >= 2
    siren, other = sirens[0], sirens[1]
    page = rendered(f"{preview}/entreprise/{siren}", tmp_path / "profile")
    expected = _company_rows(night.serving, siren)
    assert expected["salaries"] > 0 and expected["cotisations"] > 0
    for anchor, count in expected.items():
        [section] = page.xpath(f"//section[@id='{anchor}']")
        assert len(section.xpath(".//tr[@class='ligne']")) == count, anchor
    assert f"entreprise {siren}" in page.xpath("//h1")[0].text_content()
    # amounts the French way
    amounts = page.xpath("//section[@id='cotisations']//td[@class='nombre']/text()")
    assert amounts and all(a.endswith("\u00a0€") and "," in a for a in amounts)
    # nothing of the other company
    other_names = {
        n
        for (n,) in duckdb.connect(str(night.serving), read_only=True)
        .execute("SELECT employee_name FROM portal_v1.affiliation_states WHERE siren = ?", [other])
        .fetchall()
    }
    shown = set(page.xpath("//section[@id='salaries']//tr[@class='ligne']/td[1]/text()"))
    assert shown and not shown & other_names


def test_a_malformed_or_unknown_siren_or_page_is_a_french_404(preview: str) -> None:
    for path, message in (
        ("/entreprise/12345678X", "SIREN invalide"),
        ("/entreprise/123456789", "Aucune entreprise publiée"),
        ("/entreprise/..%2F..%2Fetc%2Fpasswd", "Page introuvable"),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(preview + path, timeout=30)
        assert refused.value.code == 404
        assert message in refused.value.read().decode("utf-8")
