"""The portal preview: a small read-only web page, served from the published snapshot, showing
one company what its portal shows it — its contracts, employees and their affiliation,
anomalies, work stoppages, contributions and balance, payments, the account statement,
dunning — so that the insurer's staff see what the company will see, from the same
`portal_v1` tables.

    dsnpipe apercu --serving var/serving.duckdb [--port 8765]

Every request opens the snapshot anew (read-only): after the nightly swap the next page shows
the new night. A SIREN that is not nine digits never reaches a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from serving.formats import day, money
from serving.spec import SCHEMA
from warehouse.connections import connect_serving

_SIREN = re.compile(r"^\d{9}$")
_Formatter = Callable[[Any], str]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, date):
        return day(value)
    return str(value)


@dataclass(frozen=True)
class Section:
    """One block of the company's page: a title, the columns shown (SQL, French header) and
    the table they come from, filtered on the company."""

    anchor: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (SQL expression, header)
    source: str  # FROM … (with the company filter applied as `siren = ?`)
    order: str
    empty: str  # French, when the company has no row


SECTIONS: tuple[Section, ...] = (
    Section(
        "contrats",
        "Mes contrats",
        (
            ("k.contract_reference", "Contrat"),
            ("k.risk", "Risque"),
            ("k.options", "Options"),
            ("k.populations", "Populations"),
            ("k.payment_periodicity", "Périodicité"),
        ),
        f"{SCHEMA}.contracts AS k",
        "k.contract_reference",
        "Aucun contrat publié.",
    ),
    Section(
        "salaries",
        "Mes salariés",
        (
            ("s.employee_name", "Salarié"),
            ("s.contract_reference", "Contrat"),
            ("s.status", "État"),
            ("s.status_since", "Depuis le"),
            ("s.option_code", "Option"),
            ("s.population_code", "Population"),
        ),
        f"{SCHEMA}.affiliation_states AS s",
        "s.employee_name, s.contract_reference",
        "Aucun salarié affilié publié.",
    ),
    Section(
        "anomalies",
        "Anomalies d'affiliation",
        (
            ("a.rule_code", "Règle"),
            ("a.rule_label", "Anomalie"),
            ("a.employee_name", "Salarié"),
            ("a.detail", "Détail"),
            ("a.status", "Statut"),
            ("a.first_seen", "Détectée le"),
        ),
        f"{SCHEMA}.affiliation_anomalies AS a",
        "a.first_seen, a.rule_code",
        "Aucune anomalie.",
    ),
    Section(
        "arrets",
        "Arrêts de travail",
        (
            ("e.reason", "Motif"),
            ("e.first_day_off", "Premier jour"),
            ("e.planned_end", "Fin prévue"),
            ("e.return_date", "Reprise"),
            ("e.status", "Statut"),
            ("e.contract_reference", "Contrat"),
        ),
        f"{SCHEMA}.stoppage_episodes AS e",
        "e.first_day_off DESC",
        "Aucun arrêt de travail.",
    ),
    Section(
        "cotisations",
        "Mes cotisations",
        (
            ("c.contract_reference", "Contrat"),
            ("c.period_code", "Période"),
            ("c.due_date", "Échéance"),
            ("c.declared", "Cotisations"),
            ("c.paid", "Paiements"),
            ("c.balance", "Solde"),
        ),
        f"{SCHEMA}.contribution_periods AS c JOIN {SCHEMA}.publication AS p "
        "ON c.visible_from <= p.night",
        "c.period_start DESC, c.contract_reference",
        "Aucune période de cotisations visible.",
    ),
    Section(
        "paiements",
        "Historique des paiements",
        (
            ("m.date", "Date"),
            ("m.amount", "Montant"),
            ("m.contract_reference", "Contrat"),
            ("m.period_code", "Période"),
            ("m.entry", "Nature"),
        ),
        f"{SCHEMA}.payments AS m",
        "m.date DESC, m.allocation_id",
        "Aucun paiement reçu.",
    ),
    Section(
        "situation",
        "Situation de compte",
        (
            ("l.date", "Date"),
            ("l.label", "Libellé"),
            ("l.period", "Période"),
            ("l.debit", "Débit"),
            ("l.credit", "Crédit"),
            ("l.balance", "Solde"),
        ),
        f"{SCHEMA}.account_statement_lines AS l",
        "l.line_number",
        "Aucune écriture.",
    ),
    Section(
        "recouvrement",
        "Recouvrement",
        (
            ("d.contract_reference", "Contrat"),
            ("d.period_code", "Période"),
            ("d.due_date", "Échéance"),
            ("d.outstanding", "Reste dû"),
            ("d.days_overdue", "Jours de retard"),
            ("d.stage_label", "Étape"),
        ),
        f"{SCHEMA}.dunning AS d",
        "d.due_date",
        "Aucun impayé.",
    ),
)


def _alias(section: Section) -> str:
    return section.columns[0][0].split(".", 1)[0]


def section_rows(connection: Any, section: Section, siren: str) -> list[list[str]]:
    expressions = ", ".join(sql for sql, _ in section.columns)
    rows = connection.execute(
        f"SELECT {expressions} FROM {section.source} WHERE {_alias(section)}.siren = ? "
        f"ORDER BY {section.order}",
        [siren],
    ).fetchall()
    return [[_text(value) for value in row] for row in rows]


_templates = Environment(
    loader=PackageLoader("serving", "."), autoescape=select_autoescape(["html"])
)


def _night(connection: Any) -> tuple[date, str]:
    [(night, night_id)] = connection.execute(
        f"SELECT night, night_id FROM {SCHEMA}.publication"
    ).fetchall()
    return night, night_id


def create_app(serving_path: Path) -> Starlette:
    """The preview application on the snapshot at `serving_path`."""

    def companies(request: Request) -> HTMLResponse:
        with connect_serving(serving_path) as connection:
            night, night_id = _night(connection)
            rows = connection.execute(
                f"SELECT siren, establishments, first_month, last_month FROM {SCHEMA}.companies "
                "ORDER BY siren"
            ).fetchall()
        page = _templates.get_template("preview.html").render(
            night=day(night), night_id=night_id, companies=rows, siren=None, day=day
        )
        return HTMLResponse(page)

    def company(request: Request) -> HTMLResponse:
        siren = request.path_params["siren"]
        if not _SIREN.match(siren):
            return HTMLResponse("SIREN invalide : neuf chiffres attendus.", status_code=404)
        with connect_serving(serving_path) as connection:
            night, night_id = _night(connection)
            known = connection.execute(
                f"SELECT 1 FROM {SCHEMA}.companies WHERE siren = ?", [siren]
            ).fetchall()
            if not known:
                return HTMLResponse(
                    f"Aucune entreprise publiée sous le SIREN {siren}.", status_code=404
                )
            sections = [(s, section_rows(connection, s, siren)) for s in SECTIONS]
        page = _templates.get_template("preview.html").render(
            night=day(night), night_id=night_id, siren=siren, sections=sections, companies=None
        )
        return HTMLResponse(page)

    async def not_found(request: Request, error: Exception) -> HTMLResponse:
        return HTMLResponse("Page introuvable.", status_code=404)

    return Starlette(
        routes=[Route("/", companies), Route("/entreprise/{siren}", company)],
        exception_handlers={404: not_found},
    )
