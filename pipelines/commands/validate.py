"""`dsnpipe validate PATH... [--json] [--out FICHIER]`: the insurer's return on DSN files.

The files are read in batches of whole envois (`dsn_parser.streaming.read_in_batches`), as
`parse` does, so a lot of hundreds of megabytes is checked in bounded memory: diagnostics are
written out batch by batch, only counts and the first lines are kept for the summary.

Readable report, per file: the declarations (listed when there are few, counted per status
otherwise), the diagnostics counted per control, then the first diagnostics of each severity
and how to get all of them. `--json` writes the whole report as JSON on the standard output,
`--out FICHIER` into a file (with the summary on screen). Exit 0 when no declaration is
rejected, 1 when one is or a file is unreadable (argparse exits 2 on wrong usage). A bad file
never ends in a traceback: it is reported as unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dsn_parser.model import DeclarationStatus, ParsedFile, Severity

STATUS_LABELS = {
    DeclarationStatus.ACCEPTED: "Acceptée",
    DeclarationStatus.ACCEPTED_WITH_ANOMALIES: "Acceptée avec anomalies",
    DeclarationStatus.PARTIALLY_ACCEPTED: "Partiellement acceptée",
    DeclarationStatus.REJECTED: "Rejetée",
}
LOG_WIDTH = 200
SEVERITY_LABELS = {Severity.ERROR.value: "erreur", Severity.WARNING.value: "avertissement"}
SEVERITY_TITLES = {Severity.ERROR: "Erreurs", Severity.WARNING: "Avertissements"}
# What a readable report shows in full; beyond, counts and the first lines.
LISTED_DECLARATIONS = 30
LISTED_DIAGNOSTICS = 25
_DIAGNOSTIC_FIELDS = ("code", "severity", "line", "rubric", "label", "message")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="CHEMIN", help="fichier DSN (.dsn, .gz, .zip)")
    parser.add_argument(
        "--json", action="store_true", help="le compte rendu complet en JSON sur la sortie"
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FICHIER",
        help="écrire le compte rendu complet en JSON dans ce fichier (la synthèse à l'écran)",
    )


@dataclass
class FileReport:
    """What the readable report keeps of one file: everything but the bulk of diagnostics."""

    path: str
    encoding: str | None = None
    norm: str | None = None
    declarations: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (severity, code)
    first: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per severity

    @property
    def rejected(self) -> bool:
        unreadable = any(code == "FILE-UNREADABLE" for _, code in self.counts)
        return unreadable or any(
            d["status"] == DeclarationStatus.REJECTED for d in self.declarations
        )

    def add_diagnostic(self, diagnostic: dict[str, Any]) -> None:
        self.counts[(diagnostic["severity"], diagnostic["code"])] += 1
        shown = self.first.setdefault(diagnostic["severity"], [])
        if len(shown) < LISTED_DIAGNOSTICS:
            shown.append(diagnostic)


class JsonReport:
    """The JSON document `{"files": [...]}`, written file by file and batch by batch: each
    file's diagnostics as they come, its declarations and verdict once it is read."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.files = 0
        self.diagnostics = 0
        stream.write('{"files": [')

    def start_file(self, path: str) -> None:
        self.stream.write(("," if self.files else "") + f'\n{{"path": {_json(path)}, ')
        self.stream.write('"diagnostics": [')
        self.files += 1
        self.diagnostics = 0

    def diagnostic(self, diagnostic: dict[str, Any]) -> None:
        self.stream.write(("," if self.diagnostics else "") + "\n  " + _json(diagnostic))
        self.diagnostics += 1

    def end_file(self, report: FileReport) -> None:
        self.stream.write(
            f'], "encoding": {_json(report.encoding)}, "norm": {_json(report.norm)}, '
            f'"rejected": {_json(report.rejected)}, '
            f'"declarations": {_json(report.declarations)}}}'
        )

    def close(self) -> None:
        self.stream.write("\n]}\n")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def run(args: argparse.Namespace) -> int:
    outputs: list[JsonReport] = []
    out_file = None
    if args.json:
        outputs.append(JsonReport(sys.stdout))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        out_file = args.out.open("w", encoding="utf-8")
        outputs.append(JsonReport(out_file))
    try:
        reports = [report for path in args.paths for report in _read(path, outputs)]
    finally:
        for output in outputs:
            output.close()
        if out_file is not None:
            out_file.close()
    if not args.json:
        _print_reports(reports, args.out)
    return 1 if any(report.rejected for report in reports) else 0


def _read(path: str, outputs: list[JsonReport]) -> list[FileReport]:
    """The reports of the DSN files at `path` (a zip may hold several), written to `outputs`
    as they are read."""
    reports: list[FileReport] = []

    def start(source: str) -> None:
        reports.append(FileReport(source))
        for output in outputs:
            output.start_file(source)

    def end() -> None:
        for output in outputs:
            output.end_file(reports[-1])

    from dsn_parser.reading import unreadable_file

    current: object = None
    try:
        for summary, batch in _batches(path):
            if summary is not current:  # the first batch of the next file
                if reports:
                    end()
                current = summary
                start(batch.source)
            _add_batch(reports[-1], batch, outputs)
    except Exception as error:  # a bad file is reported, never a traceback
        if reports:
            end()
        start(path)
        reason = f"Lecture impossible ({type(error).__name__})."
        _add_batch(reports[-1], unreadable_file(path, reason), outputs)
    if reports:
        end()
    return reports


def _batches(path: str) -> Iterator[tuple[object, ParsedFile]]:
    from dsn_parser.reading import unreadable_file
    from dsn_parser.streaming import read_in_batches

    if not Path(path).is_file():
        yield object(), unreadable_file(path, "Fichier introuvable ou illisible.")
        return
    yield from read_in_batches(path)


def _add_batch(report: FileReport, batch: ParsedFile, outputs: list[JsonReport]) -> None:
    report.encoding = batch.encoding or report.encoding
    report.norm = batch.norm or report.norm
    for row in batch.declarations.sort("declaration_id").iter_rows(named=True):
        report.declarations.append(
            {
                "nature": row["nature"],
                "type": row["type"],
                "siret": row["siret"],
                "month": row["month"].isoformat() if row["month"] else None,
                "status": row["status"],
            }
        )
    for row in batch.diagnostics.select(_DIAGNOSTIC_FIELDS).iter_rows(named=True):
        report.add_diagnostic(row)
        for output in outputs:
            output.diagnostic(row)


def _print_reports(reports: list[FileReport], out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped to a log file, rich would wrap at 80 columns: keep a readable width there.
    console = Console() if sys.stdout.isatty() else Console(width=LOG_WIDTH)
    for report in reports:
        console.rule(f"[bold]{report.path}", characters="─")
        console.print(
            f"Encodage : {report.encoding or '—'}    Norme : {report.norm or '—'}    "
            f"Déclarations : {len(report.declarations)}",
            markup=False,
        )
        _print_declarations(console, report)
        if report.counts:
            console.print(_summary_table(report.counts))
        for severity, title in SEVERITY_TITLES.items():
            total = sum(n for (s, _), n in report.counts.items() if s == severity.value)
            if not total:
                continue
            table = Table(
                "Ligne", "Rubrique", "Libellé", "Code", "Message", title=f"{title} ({total})"
            )
            for diagnostic in report.first.get(severity.value, []):
                table.add_row(
                    str(diagnostic["line"] or "—"),
                    diagnostic["rubric"] or "—",
                    diagnostic["label"] or "",
                    diagnostic["code"],
                    diagnostic["message"],
                )
            console.print(table)
            if total > LISTED_DIAGNOSTICS:
                console.print(
                    f"… et {total - LISTED_DIAGNOSTICS} autre(s) : le compte rendu complet "
                    + (f"est dans {out}." if out else "s'obtient avec --json ou --out FICHIER."),
                    markup=False,
                )
        if not report.counts:
            console.print("Aucune anomalie.")


def _print_declarations(console: Any, report: FileReport) -> None:
    from rich.table import Table

    if len(report.declarations) > LISTED_DECLARATIONS:
        counts = Counter(d["status"] for d in report.declarations)
        table = Table("Statut", "Déclarations", title="Déclarations par statut")
        for status, count in sorted(counts.items(), key=lambda item: (item[0] is None, item[0])):
            table.add_row(_status_label(status), str(count))
        console.print(table)
        return
    if report.declarations:
        table = Table("Nature", "Type", "SIRET", "Mois", "Statut", title="Déclarations")
        for declaration in report.declarations:
            table.add_row(
                _nature_label(declaration["nature"]),
                _type_label(declaration["type"]),
                declaration["siret"] or "—",
                _month_label(declaration["month"]),
                _status_label(declaration["status"]),
            )
        console.print(table)


def _summary_table(counts: Counter[tuple[str, str]]) -> Any:
    """How many findings of each control: hundreds of lines read better with this first."""
    from rich.table import Table

    from dsn_parser.validation import CATALOGUE

    table = Table("Gravité", "Code", "Contrôle", "Nombre", title="Synthèse")
    for (severity, code), count in sorted(counts.items()):
        control = CATALOGUE.get(code)
        table.add_row(
            SEVERITY_LABELS.get(severity, severity),
            code,
            control.title if control else "",
            str(count),
        )
    return table


def _month_label(month: str | None) -> str:
    """`2025-01-01` (the JSON form) as the month a person reads: `01/2025`."""
    return f"{month[5:7]}/{month[:4]}" if month else "—"


def _status_label(status: int | None) -> str:
    if status is None:
        return "—"
    return f"{status} – {STATUS_LABELS[DeclarationStatus(status)]}"


def _nature_label(code: str | None) -> str:
    return _code_label("S20.G00.05.001", code)


def _type_label(code: str | None) -> str:
    return _code_label("S20.G00.05.002", code)


def _code_label(rubric: str, code: str | None) -> str:
    """ "01 – DSN Mensuelle": the label comes from the latest norm's code list."""
    if code is None:
        return "—"
    from dsn_parser.norm import resolve_norm

    codes = resolve_norm(None)[0].codes
    labels = codes.filter((codes["rubric"] == rubric) & (codes["code"] == code))["label"]
    return f"{code} – {labels[0]}" if labels.len() else code
