"""docs/controls.md: the coverage of the official control catalogue, generated.

    python -m dsn_parser.validation.controls_doc [--out docs/controls.md]

Per block an insurer reads, each CCH, SIG and CRE control of the catalogue is implemented (a
rule of official.py, or code it lists in IN_CODE), not applicable to an insurer's reception
(with the reason written in dsn_parser/norm/controls_not_applicable.csv or found by the
generator), or not yet done.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from dsn_parser.norm import OfficialControl, load_norm, official_controls
from dsn_parser.validation.official import implemented

DOC = Path(__file__).parents[2] / "docs" / "controls.md"
KINDS = ("CCH", "SIG", "CRE")
IMPLEMENTED, NOT_APPLICABLE, NOT_YET = "implémenté", "non applicable", "à faire"
ISSUE_VERSION = "P24V01"  # the catalogue the issue counted (326 controls)


def in_scope() -> list[OfficialControl]:
    return [
        control
        for control in official_controls().values()
        if control.insurer_reads and control.kind in KINDS
    ]


def state(control: OfficialControl, done: frozenset[str]) -> str:
    if control.control_id in done:
        return IMPLEMENTED
    return NOT_APPLICABLE if control.not_applicable else NOT_YET


def render() -> str:
    done = implemented()
    controls = in_scope()
    labels = load_norm("P26V01").block_label | load_norm(ISSUE_VERSION).block_label
    lines = [
        "# Contrôles officiels de la norme DSN sur les blocs lus par l'organisme",
        "",
        "Généré par `python -m dsn_parser.validation.controls_doc` depuis le catalogue",
        "`dsn_parser/norm/data/controls.csv` (`make norm`) et la table de règles",
        "`dsn_parser/validation/official.py` (avec les contrôles écrits en code qu'elle",
        "liste dans `IN_CODE`) ; ne pas modifier à la main.",
        "",
        "Un contrôle implémenté lève un diagnostic portant son identifiant officiel",
        "(`S21.G00.70.013/CCH-11`) et son message officiel ; un CCH est bloquant, un SIG ne",
        "l'est pas. Il ne s'applique qu'aux envois déclarés dans une version de norme dont le",
        "catalogue le contient, et aux natures de déclaration où sa rubrique peut figurer ; sur",
        "une copie OC (filtrée par le concentrateur après les contrôles nationaux) il n'est",
        "qu'un avertissement. Un contrôle « en rodage » n'est pour l'instant qu'un",
        "avertissement, pour la raison donnée.",
        "",
        "## Couverture",
        "",
        "| périmètre | contrôles | implémentés | non applicables | à faire | couverts |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, subset in (
        (f"catalogue {ISSUE_VERSION}", [c for c in controls if ISSUE_VERSION in c.versions]),
        ("toutes versions (P24V01 à P26V01)", controls),
    ):
        counts = Counter(state(control, done) for control in subset)
        covered = counts[IMPLEMENTED] + counts[NOT_APPLICABLE]
        lines.append(
            f"| {name} | {len(subset)} | {counts[IMPLEMENTED]} | {counts[NOT_APPLICABLE]} | "
            f"{counts[NOT_YET]} | {100 * covered / len(subset):.1f} % |"
        )
    by_block: dict[str, list[OfficialControl]] = {}
    for control in controls:
        by_block.setdefault(control.rubric[:10], []).append(control)
    for block in sorted(by_block):
        block_controls = sorted(by_block[block], key=lambda c: c.control_id)
        counts = Counter(state(control, done) for control in block_controls)
        lines += [
            "",
            f"## {block} — {labels.get(block, '')}",
            "",
            f"{counts[IMPLEMENTED]} implémenté(s), {counts[NOT_APPLICABLE]} non applicable(s), "
            f"{counts[NOT_YET]} à faire.",
            "",
            "| contrôle | versions | état | motif |",
            "| --- | --- | --- | --- |",
        ]
        for control in block_controls:
            current = state(control, done)
            reason = control.not_applicable if current == NOT_APPLICABLE else ""
            if current == IMPLEMENTED and control.on_trial:
                current, reason = f"{IMPLEMENTED}, en rodage (avertissement)", control.on_trial
            lines.append(
                f"| `{control.control_id}` | {' '.join(control.versions)} | {current} | "
                f"{(reason or '').replace('|', '/')} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DOC)
    args = parser.parse_args(argv)
    args.out.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
