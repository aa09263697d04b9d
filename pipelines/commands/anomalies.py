"""`dsnpipe anomalies`: list the affiliation anomalies and record the stewards' decisions.

`list` reads the warehouse read-only. The decisions (`ack`, `resolve`, `force-affiliation`,
`force-radiation`) never open the warehouse for writing: the nightly writer may hold its lock.
They append to the decisions directory, which the next night run applies.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from pathlib import Path
from typing import Any

from pipelines.commands.options import add_options, settings_of
from pipelines.french_argparse import french_date, siren_number

_ACTIONS = {
    "ack": ("acknowledge", "Prendre en charge une anomalie (statut « prise en charge »)"),
    "resolve": (
        "resolve",
        "Clore une anomalie avec un motif ; elle ne revient que si ses données changent",
    ),
    "force-affiliation": (
        "force_affiliation",
        "Forcer l'affiliation du salarié et clore l'anomalie",
    ),
    "force-radiation": ("force_radiation", "Forcer la radiation du salarié et clore l'anomalie"),
}
_ACTION_LABELS = {
    "acknowledge": "prise en charge",
    "resolve": "résolution",
    "force_affiliation": "affiliation forcée",
    "force_radiation": "radiation forcée",
}
# The statuses as a steward says them (AnomalyStatus's values spelled out: building the parser
# must not import Polars); the register's own codes are accepted too.
_STATUS_WORDS = {
    "ouverte": "open",
    "prise-en-charge": "acknowledged",
    "resolue-par-les-donnees": "resolved_by_data",
    "resolue-par-un-gestionnaire": "resolved_by_steward",
    "toutes": "all",
}


def _status(text: str) -> str:
    """`--statut ouverte`, `"prise en charge"`, `résolue-par-les-données` or a register code."""
    word = unicodedata.normalize("NFKD", text.strip().lower())
    word = "".join(c for c in word if not unicodedata.combining(c)).replace(" ", "-")
    word = word.replace("_", "-")
    if word in _STATUS_WORDS:
        return _STATUS_WORDS[word]
    if word.replace("-", "_") in _STATUS_WORDS.values():
        return word.replace("-", "_")
    raise argparse.ArgumentTypeError(
        f"statut inconnu « {text} » (au choix : {', '.join(_STATUS_WORDS)})"
    )


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    add_options(common, "warehouse", "decisions")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser(
        "list", parents=[common], help="Lister les anomalies du registre (lecture seule)"
    )
    listing.add_argument("--siren", type=siren_number, help="une entreprise (SIREN)")
    listing.add_argument("--rule", "--regle", dest="rule", help="un code de règle, ex. AFF001")
    listing.add_argument(
        "--status",
        "--statut",
        dest="status",
        type=_status,
        default=None,
        metavar="STATUT",
        help="un statut : " + ", ".join(_STATUS_WORDS) + " (défaut : ouvertes et prises en charge)",
    )
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.add_argument(
        "--show-nir",
        action="store_true",
        help="afficher en clair les NIR/NTT et les noms des salariés (masqués sinon)",
    )

    evaluate = actions.add_parser(
        "evaluate",
        parents=[common],
        help="Précision et rappel de chaque règle face à la vérité d'un portefeuille généré",
    )
    evaluate.add_argument(
        "--truth", type=Path, required=True, help="répertoire de vérité du générateur"
    )
    evaluate.add_argument(
        "--min", type=float, default=0.99, help="seuil de précision et de rappel (%(default)s)"
    )
    evaluate.add_argument("--json", action="store_true", help="sortie JSON")

    for name, (_, help_text) in _ACTIONS.items():
        decision = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        decision.add_argument("anomaly_id", metavar="IDENTIFIANT", help="identifiant de l'anomalie")
        decision.add_argument(
            "--reason", required=name != "ack", help="motif de la décision (obligatoire sauf ack)"
        )
        decision.add_argument("--by", help="auteur de la décision (défaut : utilisateur système)")
        if name.startswith("force-"):
            decision.add_argument(
                "--date", type=french_date, help="date d'effet, JJ/MM/AAAA (facultative)"
            )


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list(args)
    if args.action == "evaluate":
        return _evaluate(args)
    return _decide(args)


def _decisions_dir(args: argparse.Namespace) -> Path:
    return settings_of(args).decisions


def _decide(args: argparse.Namespace) -> int:
    from pydantic import ValidationError
    from rich.console import Console

    from quality.anomalies.decisions import (
        DecisionAction,
        StewardDecision,
        current_user,
        record_decision,
    )

    console, errors = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    action = _ACTIONS[args.action][0]
    try:
        decision = StewardDecision(
            anomaly_id=args.anomaly_id.strip().lower(),
            action=DecisionAction(action),
            decided_by=args.by or current_user(),
            reason=args.reason,
            effective_date=getattr(args, "date", None),
        )
    except ValidationError:
        errors.print(f"[red]Identifiant d'anomalie invalide : {args.anomaly_id}[/red]")
        return 2
    status = _anomaly_status(settings_of(args).warehouse, decision.anomaly_id)
    if status is False:
        errors.print(f"[red]Anomalie inconnue du registre : {decision.anomaly_id}[/red]")
        return 2
    repeated = _repeated(args, decision.anomaly_id, action, status)
    if repeated:
        errors.print(f"[yellow]{repeated} : décision non enregistrée une seconde fois.[/yellow]")
        return 0
    path = record_decision(_decisions_dir(args), decision)
    console.print(
        f"Décision enregistrée ({_ACTION_LABELS[action]}) pour l'anomalie {decision.anomaly_id} "
        f"par {decision.decided_by}, dans {path}. Elle sera appliquée par le prochain "
        "traitement de nuit."
    )
    if status is None:
        errors.print(
            "[yellow]Entrepôt illisible pour l'instant (verrouillé ou absent) : identifiant non "
            "vérifié, il le sera par le traitement de nuit.[/yellow]"
        )
    return 0


def _anomaly_status(warehouse: Path, anomaly_id: str) -> str | bool | None:
    """The anomaly's status in the register; False when the register does not know it, None
    when the warehouse cannot be read now."""
    import duckdb

    from warehouse.connections import connect

    try:
        with connect(warehouse, read_only=True) as connection:
            rows = connection.execute(
                "SELECT status FROM anomalies WHERE anomaly_id = ?", [anomaly_id]
            ).fetchall()
    except (duckdb.Error, FileNotFoundError):
        return None
    return str(rows[0][0]) if rows else False


# The register status that an action has already brought about.
_STATUS_OF_ACTION = {
    "acknowledge": "acknowledged",
    "resolve": "resolved_by_steward",
    "force_affiliation": "resolved_by_steward",
    "force_radiation": "resolved_by_steward",
}


def _repeated(
    args: argparse.Namespace, anomaly_id: str, action: str, status: str | bool | None
) -> str | None:
    """Why this decision would repeat one already taken (French), or None: the anomaly already
    has the status the action gives, or the same action waits for the next night."""
    from quality.anomalies.model import status_label

    if status == _STATUS_OF_ACTION[action]:
        return f"L'anomalie {anomaly_id} a déjà le statut « {status_label(status)} »"
    pending = _pending_actions(_decisions_dir(args), _applied_ids(settings_of(args).warehouse))
    if pending.get(anomaly_id) == _ACTION_LABELS[action]:
        return (
            f"Une décision « {_ACTION_LABELS[action]} » attend déjà le prochain traitement de "
            f"nuit pour l'anomalie {anomaly_id}"
        )
    return None


def _applied_ids(warehouse: Path) -> set[str]:
    """The decisions a night has applied; none known when the warehouse cannot be read now."""
    import duckdb

    from quality.anomalies.decisions import applied_decision_ids
    from warehouse.connections import connect

    try:
        with connect(warehouse, read_only=True) as connection:
            return applied_decision_ids(connection)
    except (duckdb.Error, FileNotFoundError):
        return set()


def _list(args: argparse.Namespace) -> int:
    import duckdb
    from rich.console import Console

    from dsn_parser.masking import mask_personal
    from quality.anomalies.catalogue import RULES_BY_CODE
    from quality.anomalies.decisions import applied_decision_ids
    from quality.anomalies.model import mask_employee_key
    from warehouse.connections import connect

    console = Console()
    if args.rule and args.rule.upper() not in RULES_BY_CODE:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]Règle inconnue : {args.rule} (règles du catalogue : "
            f"{', '.join(sorted(RULES_BY_CODE))})[/red]"
        )
        return 2
    try:
        with connect(settings_of(args).warehouse, read_only=True) as connection:
            rows = _query(connection, args)
            applied = applied_decision_ids(connection)
    except FileNotFoundError as error:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]{error} : préciser --warehouse ou DSNPIPE_WAREHOUSE (la démonstration écrit "
            "var/demo/entrepot.duckdb).[/red]"
        )
        return 2
    except duckdb.CatalogException:
        Console(stderr=True, soft_wrap=True).print(
            "[red]Aucun registre d'anomalies dans cet entrepôt : aucune nuit n'a encore tourné."
            "[/red]"
        )
        return 2
    except duckdb.Error as error:  # mostly the nightly writer's lock
        Console(stderr=True, soft_wrap=True).print(
            f"[red]Entrepôt illisible (verrouillé par le traitement de nuit ?) : {error}[/red]"
        )
        return 2
    pending = _pending_actions(_decisions_dir(args), applied)
    for row in rows:
        row["pending_decision"] = pending.get(row["anomaly_id"])
        if not args.show_nir:
            row["employee_key"] = mask_employee_key(row["employee_key"])
            if row["employee_name"]:
                row["employee_name"] = mask_personal(row["employee_name"])
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        console.print(_table(rows))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import duckdb
    from rich.console import Console
    from rich.table import Table

    from quality.anomalies.evaluation import read_truth, score_rules
    from warehouse.connections import connect

    try:
        with connect(settings_of(args).warehouse, read_only=True) as connection:
            detected = connection.sql("SELECT * FROM anomalies").pl()
    except (FileNotFoundError, duckdb.Error) as error:
        Console(stderr=True, soft_wrap=True).print(f"[red]Registre illisible : {error}[/red]")
        return 2
    scores = score_rules(detected, read_truth(args.truth))
    failing = [s.rule_code for s in scores if not s.meets(args.min)]
    if args.json:
        print(
            json.dumps(
                [{**vars(s), "precision": s.precision, "recall": s.recall} for s in scores],
                indent=2,
            )
        )
    else:
        table = Table(title=f"Règles d'anomalie face à la vérité (seuil {args.min:.2f})")
        for header in ("Règle", "Attendues", "Détectées", "Justes", "Précision", "Rappel"):
            table.add_column(header, justify="right" if header != "Règle" else "left")
        for s in scores:
            table.add_row(
                s.rule_code,
                str(s.expected),
                str(s.detected),
                str(s.matched),
                "—" if s.precision is None else f"{s.precision:.3f}",
                "—" if s.recall is None else f"{s.recall:.3f}",
                style=None if s.meets(args.min) else "red",
            )
        Console().print(table)
        if failing:
            Console(stderr=True).print(f"[red]Sous le seuil : {', '.join(failing)}[/red]")
    return 1 if failing else 0


def _query(connection: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    from quality.anomalies.model import ACTIVE_STATUSES_SQL

    conditions, parameters = [], []
    if args.status is None:
        conditions.append(f"status IN ({ACTIVE_STATUSES_SQL})")
    elif args.status != "all":
        conditions.append("status = ?")
        parameters.append(args.status)
    if args.siren:
        conditions.append("siren = ?")
        parameters.append(args.siren)
    if args.rule:
        conditions.append("rule_code = ?")
        parameters.append(args.rule.upper())
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    cursor = connection.execute(
        f"""
        SELECT anomaly_id, rule_code, severity, status, siren, siret, employee_key, employee_name,
               contract_reference, affiliation_date, period, detail, first_seen, last_seen
        FROM anomalies {where}
        ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                 first_seen, anomaly_id
        """,
        parameters,
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _pending_actions(decisions_dir: Path, applied: set[str]) -> dict[str, str]:
    """Anomaly id -> label of its latest decision not applied yet by a night run."""
    from quality.anomalies.decisions import read_decisions

    decisions, _ = read_decisions(decisions_dir)
    pending = sorted(
        (d for _, d in decisions if d.decision_id not in applied), key=lambda d: d.decided_at
    )
    return {d.anomaly_id: _ACTION_LABELS[d.action.value] for d in pending}


def _table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    from quality.anomalies.model import severity_label, status_label

    # Four stacked columns so that the table still reads in an 80-column terminal.
    table = Table(title=f"Anomalies d'affiliation ({len(rows)})", show_lines=True)
    table.add_column("Anomalie", no_wrap=True)
    table.add_column("Statut", no_wrap=True)
    table.add_column("Établissement, salarié", max_width=24)
    table.add_column("Détail", ratio=1)
    for row in rows:
        status = status_label(row["status"])
        detail = row["detail"]
        if row["pending_decision"]:
            detail += f"\n[bold]Décision en attente : {row['pending_decision']}[/bold]"
        table.add_row(
            f"{row['anomaly_id']}\n{row['rule_code']} {severity_label(row['severity'])}",
            f"{status}\ndepuis le {row['first_seen']:%d/%m/%Y}",
            "\n".join(v for v in (row["siret"], row["employee_name"], row["employee_key"]) if v),
            detail,
        )
    return table
