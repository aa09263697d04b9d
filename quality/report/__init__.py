"""The steward report written after each night run: an HTML page and an Excel workbook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from quality.report.content import StewardReport, read_report
from quality.report.excel import write_excel
from quality.report.html import render_html

__all__ = ["ReportFiles", "StewardReport", "read_report", "write_steward_report"]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    excel: Path


def write_steward_report(
    connection: duckdb.DuckDBPyConnection,
    night: date,
    out_dir: Path,
    company_names: Mapping[str, str] | None = None,
) -> ReportFiles:
    """Write `anomalies-AAAA-MM-JJ.html` and `.xlsx` for `night` into `out_dir`.

    The files hold NIRs and names: `out_dir` must be readable by the stewards only.
    """
    report = read_report(connection, night, company_names)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"anomalies-{night:%Y-%m-%d}"
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    return ReportFiles(html=html_path, excel=write_excel(report, out_dir / f"{stem}.xlsx"))
