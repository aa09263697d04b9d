"""The steward's HTML page: one self-contained file (inline CSS and JavaScript, no network).

Rendered with Jinja2 and autoescaping: details and names come from DSN files and must never be
able to inject markup into the page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined

from quality.anomalies.model import SEVERITY_ORDER, AnomalySeverity, severity_label, status_label
from quality.report.content import StewardReport

_TEMPLATE = resources.files("quality.report").joinpath("steward.html")
NEW_ROWS_SHOWN = 200  # beyond that, the company tables (with their "nouvelle" mark) take over
PARIS = ZoneInfo("Europe/Paris")  # the stewards' time, whatever the server's
CHART_BARS = 15  # companies shown in the chart: the most concerned


def bars(items: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Label, count and width in percent of the largest, for the page's bar charts (drawn in
    CSS: the page stays a single file that opens without network)."""
    largest = max((count for _, count in items), default=0) or 1
    return [
        {"label": label, "count": count, "width": round(100 * count / largest, 1)}
        for label, count in items
    ]


def _day(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _month(value: date | None) -> str:
    return f"{value:%m/%Y}" if value else ""


def _environment() -> Environment:
    environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    environment.filters["jour"] = _day
    environment.filters["mois"] = _month
    environment.filters["gravite"] = severity_label
    environment.filters["statut"] = status_label
    return environment


def render_html(report: StewardReport, generated_at: datetime | None = None) -> str:
    generated_at = (generated_at or datetime.now(UTC)).astimezone(PARIS)
    per_rule = report.per_rule.to_dicts()
    totals: dict[str, Any] = {
        "bloquantes": report.active.filter(severity=AnomalySeverity.ERROR.value).height,
        "resolues": sum(
            r["resolved_by_data_tonight"] + r["resolved_by_steward_tonight"] for r in per_rule
        ),
    }
    template = _environment().from_string(_TEMPLATE.read_text(encoding="utf-8"))
    return template.render(
        report=report,
        totals=totals,
        per_rule=per_rule,
        new_rows=report.new_tonight.head(NEW_ROWS_SHOWN).to_dicts(),
        oldest_rows=report.oldest.to_dicts(),
        companies=[
            {"siren": c.siren, "name": c.name, "rows": c.anomalies.to_dicts()}
            for c in report.companies
        ],
        severities=[s.value for s in SEVERITY_ORDER],
        generated_at=f"{generated_at:%d/%m/%Y à %H:%M} (heure de Paris)",
        chart_trend=bars([(_day(night), count) for night, count in report.trend]),
        chart_rules=bars([(r["rule_code"], r["active"]) for r in per_rule if r["active"]]),
        chart_companies=bars(
            sorted(
                (
                    (
                        f"{c.name} ({c.siren})" if c.name else c.siren or "non identifiée",
                        c.anomalies.height,
                    )
                    for c in report.companies
                ),
                key=lambda item: -item[1],
            )[:CHART_BARS]
        ),
    )
