"""Generate the norm tables under data/<VERSION>/ from the official DSN dictionary.

    python -m dsn_parser.norm.generate --source ../shared/reference/dsn/dictionary

(`make norm`). This is the only code that reads the dictionary folder; the product and its
tests read the generated, committed CSV files. The output is deterministic (rows sorted by id,
no timestamps), so regenerating from the same sources gives byte-identical files and a diff of
`data/` shows exactly what a new dictionary changes.

Sources (see data/SOURCES.md, written by this script, for the details of each version):
- P24V01: the CSV exports of the official dsn-datatypes-CT2024.xlsx (blocks, fields, types).
- P25V01, P26V01: the dsn-mcp JSON extractions of CT2025 and CT2026; they lack cardinalities
  and type names, which are taken from P24V01.
- Usages per declaration nature: the CT2025.1 "tableau des usages" for every version, completed
  from the cahier technique text for the few rubrics whose table lines were lost.
- Service blocks and rubrics of the insurer's lot envelope: service_blocks.csv and
  service_rubrics.csv in this folder, hand-written (they are in no dictionary).
- The official control catalogue (data/controls.csv, all versions in one table): the Messages
  sheet of dsn-datatypes-CT2024.xlsx for P24V01 (complete texts), the CT2025/CT2026 JSON for
  the versions a control applies to (their texts are cut at 500 characters, so used only for
  controls P24V01 lacks); what an insurer's reception does not apply is hand-written in
  controls_not_applicable.csv here, with its reason, and the blocking controls that only warn
  for now in controls_on_trial.csv.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dsn_parser.norm import DATA_DIR, KNOWN_VERSIONS, USAGE_NATURES

HERE = Path(__file__).parent

P24_BLOCKS = "P24V01_Blocks.csv"
P24_HEADER = "P24V01_Header.csv"
P24_FIELDS = "P24V01_Fields.csv"
P24_TYPES = "P24V01_Data Types.csv"
P24_MESSAGES = "P24V01_Messages.csv"
USAGES = "CT2025.1_usages_par_modele.csv"
CAHIER = "dsn-cahier-technique-2025.1.txt"
CT_JSON = {"P25V01": "dsn-mcp/CT2025.1.3_ct.json", "P26V01": "dsn-mcp/CT2026.1.2_ct.json"}

# The envoi skeleton: the dictionary lists these three blocks apart (Header.csv; no parent in
# the JSON). Per the cahier technique §3.2 an envoi (S10) holds one or more declarations (S20)
# and ends with its totals (S90); we make that explicit as parents so the tree has one root.
ENVOI_SKELETON: dict[str, tuple[str | None, int, int | None]] = {
    "S10.G00.00": (None, 1, 1),
    "S20.G00.05": ("S10.G00.00", 1, None),
    "S90.G00.90": ("S10.G00.00", 1, 1),
}

USAGE_CSV_COLUMNS = {
    "01": "u01_mensuelle",
    "04": "u04_arret",
    "05": "u05_reprise",
    "07": "u07_fctu",
    "08": "u08_amorcage",
    "09": "u09_substitution",
}

P24_NATURES = {
    "Alphanumeric": "alphanumeric",
    "Enumeration": "enumeration",
    "ExternalReferential": "external_referential",
    "Date": "date",
    "Numeric": "numeric",
}

BLOCK_COLUMNS = ("block", "label", "parent", "min_occurs", "max_occurs", "origin")
RUBRIC_COLUMNS = (
    "rubric",
    "block",
    "label",
    "datatype",
    "nature",
    "regexp",
    "min_length",
    "max_length",
    "codes",
    *(f"usage_{nature}" for nature in USAGE_NATURES),
    "origin",
)


@dataclass(frozen=True)
class Block:
    block: str
    label: str
    parent: str | None
    min_occurs: int | None
    max_occurs: int | None
    origin: str = "dictionary"


@dataclass(frozen=True)
class Rubric:
    rubric: str
    label: str
    datatype: str | None
    nature: str
    regexp: str | None
    min_length: int | None
    max_length: int | None
    codes: tuple[tuple[str, str], ...] = ()  # (code, label)
    usages: dict[str, str] = field(default_factory=dict)  # nature -> O/C/F/I/N
    origin: str = "dictionary"

    @property
    def block(self) -> str:
        return self.rubric[:10]


@dataclass
class Version:
    version: str
    blocks: dict[str, Block]
    rubrics: dict[str, Rubric]
    notes: list[str] = field(default_factory=list)  # provenance lines for SOURCES.md


# --------------------------------------------------------------------------- reading sources


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def optional_int(text: str | None) -> int | None:
    return int(text) if text not in (None, "", "*") else None


def refine_nature(nature: str, regexp: str | None) -> str:
    """Amounts are 'Numeric' in the dictionary like counts: tell them apart by their format."""
    if nature == "numeric" and regexp and ("\\." in regexp or "[.]" in regexp):
        return "decimal"
    return nature


def read_p24(source: Path) -> Version:
    labels = {row["Id"]: row["Name"] for row in read_csv(source / P24_HEADER) if row["Id"]}
    blocks = {
        row["Id"]: Block(
            block=row["Id"],
            label=row["Name"].strip(),
            parent=row["ParentId"] or None,
            min_occurs=optional_int(row["lowerBound"]),
            max_occurs=optional_int(row["upperBound"]),
        )
        for row in read_csv(source / P24_BLOCKS)
        if row["Id"]
    }
    for block, (parent, low, high) in ENVOI_SKELETON.items():
        blocks[block] = Block(block, labels[block], parent, low, high)
    types = {row["Id"]: row for row in read_csv(source / P24_TYPES)}
    rubrics = {}
    for row in read_csv(source / P24_FIELDS):
        if not row["Block Id"]:
            continue
        rubric_id = f"{row['Block Id']}.{row['Id']}"
        datatype = types[row["DataType Id"]]
        regexp = datatype["Regexp"] or None
        codes = tuple(
            (code, label)
            for code, _, label in (
                item.partition("=") for item in (datatype["Values"] or "").split(";")
            )
            if code
        )
        rubrics[rubric_id] = Rubric(
            rubric=rubric_id,
            label=row["Name"].strip(),
            datatype=row["DataType Id"],
            nature=refine_nature(P24_NATURES[datatype["Nature"]], regexp),
            regexp=regexp,
            min_length=optional_int(datatype["Lg Min"]),
            max_length=optional_int(datatype["Lg Max"]),
            codes=codes,
        )
    notes = [
        f"- blocks: `{P24_BLOCKS}` (id, label, parent, cardinality) and `{P24_HEADER}` "
        "(labels of the envoi skeleton S10.G00.00, S20.G00.05, S90.G00.90).",
        f"- rubrics: `{P24_FIELDS}`; their formats, lengths, regexps and codes: their type in "
        f"`{P24_TYPES}` (sheets of dsn-datatypes-CT2024.xlsx, revision 20231219).",
    ]
    return Version("P24V01", blocks, rubrics, notes)


def json_nature(rubric: dict) -> str:
    """The nature of a rubric P24V01 does not know, from the JSON's coarse N/X/D data type."""
    if rubric["data_type"] == "D":
        return "date"
    if rubric["data_type"] == "X":
        return "enumeration" if rubric["enumeration"] else "external_referential"
    return "numeric" if rubric["format_regex"] else "alphanumeric"


def read_ct_json(source: Path, version: str, p24: Version) -> Version:
    path = source / CT_JSON[version]
    document = json.loads(path.read_text(encoding="utf-8"))
    blocks: dict[str, Block] = {}
    rubrics: dict[str, Rubric] = {}
    new_blocks, new_rubrics = [], []
    for code, bloc in document["blocs"].items():
        known = p24.blocks.get(code)
        if known is None:
            new_blocks.append(code)
        blocks[code] = Block(
            block=code,
            label=bloc["name"].strip(),
            parent=bloc["parent_bloc"],
            min_occurs=known.min_occurs if known else None,
            max_occurs=known.max_occurs if known else None,
        )
        for rubric_id, item in bloc["rubriques"].items():
            regexp = item["format_regex"] or None
            previous = p24.rubrics.get(rubric_id)
            if previous is None:
                new_rubrics.append(rubric_id)
            rubrics[rubric_id] = Rubric(
                rubric=rubric_id,
                label=item["label"].strip(),
                datatype=previous.datatype if previous else None,
                nature=refine_nature(previous.nature if previous else json_nature(item), regexp),
                regexp=regexp,
                min_length=item["length_min"],
                max_length=item["length_max"],
                codes=tuple((e["code"], e["label"].strip()) for e in item["enumeration"] or ()),
            )
    for block, (parent, low, high) in ENVOI_SKELETON.items():
        blocks[block] = replace(blocks[block], parent=parent, min_occurs=low, max_occurs=high)
    notes = [
        f"- blocks, labels, parents, rubrics, lengths, regexps and code lists: "
        f"`{CT_JSON[version]}` ({document['version']}, extracted {document['extraction_date']}).",
        "- block cardinalities (min/max occurs) and datatype names: P24V01 (the JSON has "
        "neither); the nature (alphanumeric/enumeration/...) too, refined to decimal by the "
        "version's own regexp.",
        f"- blocks new since P24V01 (no cardinality): {', '.join(new_blocks) or 'none'}.",
        f"- rubrics new since P24V01 (nature from the JSON's N/X/D type, no datatype name): "
        f"{', '.join(sorted(new_rubrics)) or 'none'}.",
        f"- rubrics of P24V01 absent here: "
        f"{', '.join(sorted(set(p24.rubrics) - set(rubrics))) or 'none'}.",
    ]
    return Version(version, blocks, rubrics, notes)


def read_usages(source: Path) -> dict[str, dict[str, str]]:
    """Usage (O/C/F/I/N) per rubric and declaration nature, from the CT2025.1 table."""
    return {
        row["rubric"]: {nature: row[column] for nature, column in USAGE_CSV_COLUMNS.items()}
        for row in read_csv(source / USAGES)
    }


def recover_usages(cahier: str, rubrics: Iterable[str]) -> dict[str, dict[str, str]]:
    """Usages of rubrics whose line the usages CSV lost, read from the cahier technique text.

    In the "tableau des usages" a rubric's line ends with its six usages; a long label wraps,
    putting them at the end of the next line, sometimes glued to the label ("completC I I I C C").
    A rubric is recovered only when every occurrence that looks like a usage line agrees.
    """
    lines = [*cahier.splitlines(), ""]
    six = re.compile(r"([OCFIN]) ([OCFIN]) ([OCFIN]) ([OCFIN]) ([OCFIN]) ([OCFIN])\s*$")
    starts_with_id = re.compile(r"S\d\d\.G\d\d\.")
    wanted = set(rubrics)
    found: dict[str, set[tuple[str, ...]]] = {}
    for line, next_line in itertools.pairwise(lines):
        for rubric in wanted:
            if rubric not in line:
                continue
            match = six.search(line.split(rubric, 1)[1])
            # A wrapped label continues on the next line; another rubric's line does not.
            if match is None and not starts_with_id.match(next_line):
                match = six.search(next_line)
            if match:
                found.setdefault(rubric, set()).add(match.groups())
    return {
        rubric: dict(zip(USAGE_NATURES, next(iter(values)), strict=True))
        for rubric, values in found.items()
        if len(values) == 1
    }


def read_service_supplement() -> tuple[list[Block], list[Rubric]]:
    blocks = [
        Block(
            block=row["block"],
            label=row["label"],
            parent=row["parent"] or None,
            min_occurs=optional_int(row["min_occurs"]),
            max_occurs=optional_int(row["max_occurs"]),
            origin="service",
        )
        for row in read_csv(HERE / "service_blocks.csv")
    ]
    rubrics = [
        Rubric(
            rubric=row["rubric"],
            label=row["label"],
            datatype=None,
            nature=row["nature"],
            regexp=None,
            min_length=optional_int(row["min_length"]),
            max_length=optional_int(row["max_length"]),
            origin="service",
        )
        for row in read_csv(HERE / "service_rubrics.csv")
    ]
    return blocks, rubrics


# --------------------------------------------------------------------------- merging, checks


def add_service(version: Version, blocks: list[Block], rubrics: list[Rubric]) -> None:
    for block in blocks:
        if block.block in version.blocks:
            raise ValueError(f"{version.version}: service block {block.block} is in the norm")
        version.blocks[block.block] = block
    for rubric in rubrics:
        if rubric.rubric in version.rubrics:
            raise ValueError(f"{version.version}: service rubric {rubric.rubric} is in the norm")
        version.rubrics[rubric.rubric] = rubric


def add_usages(version: Version, usages: dict[str, dict[str, str]]) -> None:
    for rubric_id, rubric in version.rubrics.items():
        if rubric.origin == "dictionary" and rubric_id in usages:
            version.rubrics[rubric_id] = replace(rubric, usages=usages[rubric_id])


def check_regexps(version: Version) -> list[str]:
    """Drop (and report) regexps Python cannot compile, rather than ship a crashing table.

    All of P24V01..P26V01's patterns are plain regular expressions that Python's `re` reads as
    they are (no XSD-only \\i, \\c, \\p{Is...} or class subtraction), so nothing is translated.
    """
    rejected = []
    for rubric_id, rubric in version.rubrics.items():
        if rubric.regexp is None:
            continue
        try:
            re.compile(rubric.regexp)
        except re.error as error:
            rejected.append(f"{rubric_id}: `{rubric.regexp}` ({error})")
            version.rubrics[rubric_id] = replace(rubric, regexp=None)
    return rejected


def check_tree(version: Version) -> None:
    """Every rubric in a known block, every parent known, no cycle: else the tree is wrong."""
    errors = [
        f"rubric {rubric} in unknown block {rubric[:10]}"
        for rubric in version.rubrics
        if rubric[:10] not in version.blocks
    ]
    errors += [
        f"rubric {rubric} numbered 9xx in the dictionary: clashes with service rubrics"
        for rubric, item in version.rubrics.items()
        if item.origin == "dictionary" and rubric[11] == "9"
    ]
    for block in version.blocks.values():
        seen = {block.block}
        parent = block.parent
        while parent is not None:
            if parent not in version.blocks:
                errors.append(f"block {block.block}: unknown ancestor {parent}")
                break
            if parent in seen:
                errors.append(f"block {block.block}: cycle through {parent}")
                break
            seen.add(parent)
            parent = version.blocks[parent].parent
    if errors:
        raise ValueError(f"{version.version}: " + "; ".join(errors))


# --------------------------------------------------------------------------- writing


def cell(value: object) -> str:
    return "" if value is None else str(value)


def write_rows(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([cell(value) for value in row] for row in rows)


def write_version(version: Version, out: Path) -> None:
    folder = out / version.version
    folder.mkdir(parents=True, exist_ok=True)
    write_rows(
        folder / "blocks.csv",
        BLOCK_COLUMNS,
        (
            (b.block, b.label, b.parent, b.min_occurs, b.max_occurs, b.origin)
            for b in sorted(version.blocks.values(), key=lambda b: b.block)
        ),
    )
    rubrics = sorted(version.rubrics.values(), key=lambda r: r.rubric)
    write_rows(
        folder / "rubrics.csv",
        RUBRIC_COLUMNS,
        (
            (
                r.rubric,
                r.block,
                r.label,
                r.datatype,
                r.nature,
                r.regexp,
                r.min_length,
                r.max_length,
                "|".join(sorted(code for code, _ in r.codes)) or None,
                *(r.usages.get(nature) for nature in USAGE_NATURES),
                r.origin,
            )
            for r in rubrics
        ),
    )
    write_rows(
        folder / "codes.csv",
        ("rubric", "code", "label"),
        ((r.rubric, code, label) for r in rubrics for code, label in sorted(r.codes)),
    )


# --------------------------------------------------------------------------- control catalogue

CONTROLS_CSV = "controls.csv"
CONTROL_COLUMNS = (
    "control_id",
    "rubric",
    "block",
    "kind",
    "blocking",
    "versions",
    "insurer_reads",
    "applicability",
    "reason",
    "on_trial",
    "description",
    "message",
)
CONTROL_ID = re.compile(r"(S\d{2}\.G\d{2}\.\d{2}\.\d{3})/([A-Z]{3}) ?-?(\d+)")
NON_BLOCKING_KINDS = ("SIG",)
# The blocks an insurer (organisme complémentaire) reads in the DSN it receives.
INSURER_BLOCKS = (
    "S10.G00.00",
    "S10.G00.01",
    "S10.G00.02",
    "S20.G00.05",
    *(
        f"S21.G00.{block}"
        for block in [
            "06",
            "11",
            "15",
            "16",
            "20",
            "22",
            "30",
            "31",
            "40",
            "55",
            "60",
            "62",
            "65",
            "70",
            "71",
            "72",
            "73",
            "78",
            "79",
            "81",
        ]
    ),
    "S90.G00.90",
)
JSON_TEXT_LIMIT = 500  # the dsn-mcp extraction cuts every rule text there


@dataclass
class Control:
    control_id: str
    kind: str
    description: str
    message: str
    versions: list[str]

    @property
    def rubric(self) -> str:
        return self.control_id.split("/")[0]


def control_id(name: str) -> str:
    """The workbook's id, with its few misspellings ("CCH -11", "CCH14") normalised."""
    found = CONTROL_ID.fullmatch(name.strip())
    if found is None:
        raise ValueError(f"unexpected control id {name!r}")
    rubric, kind, number = found.groups()
    return f"{rubric}/{kind}-{number}"


def one_line(text: str) -> str:
    return " ".join(text.split())


def read_controls(source: Path) -> list[Control]:
    controls: dict[str, Control] = {}
    for row in read_csv(source / P24_MESSAGES):
        cid = control_id(row["Name"])
        controls[cid] = Control(
            cid,
            cid.split("/")[1].split("-")[0],
            one_line(row["Description"]),
            one_line(row["Message"]),
            ["P24V01"],
        )
    for version, name in CT_JSON.items():
        blocks = json.loads((source / name).read_text(encoding="utf-8"))["blocs"]
        for block in blocks.values():
            for rubric, fields in block["rubriques"].items():
                for kind in ("csl", "cch", "sig"):
                    for control in fields[f"{kind}_controls"]:
                        _add_json_control(controls, version, rubric, kind.upper(), control)
    return sorted(controls.values(), key=lambda c: c.control_id)


def _add_json_control(
    controls: dict[str, Control], version: str, rubric: str, kind: str, control: dict
) -> None:
    cid = control_id(f"{rubric}/{control['id']}")
    if cid in controls:
        # The JSON may list one control twice on a rubric.
        if version not in controls[cid].versions:
            controls[cid].versions.append(version)
        return
    text = control.get("rule_text") or control.get("description") or ""
    cut = " [texte tronqué à la source]" if len(text) >= JSON_TEXT_LIMIT else ""
    description, _, message = text.partition(" | Message: ")
    controls[cid] = Control(
        cid,
        kind,
        one_line(description) + ("" if message else cut),
        one_line(message) + (cut if message else ""),
        [version],
    )


def read_not_applicable() -> dict[str, str]:
    """control id -> why an insurer's reception does not apply it (French, one line)."""
    return {
        row["control_id"]: row["reason"] for row in read_csv(HERE / "controls_not_applicable.csv")
    }


def read_on_trial() -> dict[str, str]:
    """control id -> why a blocking control only warns for now (French, one line)."""
    return {row["control_id"]: row["reason"] for row in read_csv(HERE / "controls_on_trial.csv")}


def misplaced_copies(controls: list[Control]) -> dict[str, str]:
    """Controls the CT2025/CT2026 JSON lists on a rubric next to their own: a control P24V01
    lacks whose text is the beginning of another control's of the same kind and block (the
    extraction shifted some controls by one rubric). Id -> the reason, in French."""
    cut = " [texte tronqué à la source]"
    copies = {}
    for control in controls:
        if "P24V01" in control.versions:
            continue
        text = control.description.removesuffix(cut)
        if len(text) < 40:
            text = (control.description + " " + control.message).removesuffix(cut)
        for other in controls:
            if (
                other.rubric != control.rubric
                and other.rubric[:10] == control.rubric[:10]
                and other.kind == control.kind
                and len(text) >= 40
                and (other.description + " " + other.message).startswith(text)
            ):
                copies[control.control_id] = (
                    f"Doublon de {other.control_id} créé par l'extraction CT2025/CT2026 (même "
                    "texte, rattaché à une rubrique voisine) : contrôlé sous son propre id."
                )
                break
    return copies


def write_controls(
    controls: list[Control], not_applicable: dict[str, str], on_trial: dict[str, str], path: Path
) -> None:
    not_applicable = misplaced_copies(controls) | not_applicable
    known = {control.control_id for control in controls}
    unknown = sorted((set(not_applicable) | set(on_trial)) - known)
    if unknown:
        raise ValueError(f"controls_not_applicable/on_trial.csv name unknown controls: {unknown}")
    write_rows(
        path,
        CONTROL_COLUMNS,
        (
            (
                c.control_id,
                c.rubric,
                c.rubric[:10],
                c.kind,
                "non" if c.kind in NON_BLOCKING_KINDS else "oui",
                " ".join(c.versions),
                "oui" if c.rubric[:10] in INSURER_BLOCKS else "non",
                "non_applicable" if c.control_id in not_applicable else "",
                not_applicable.get(c.control_id),
                on_trial.get(c.control_id),
                c.description,
                c.message,
            )
            for c in controls
        ),
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sources(
    versions: list[Version],
    source: Path,
    recovered: dict[str, dict[str, str]],
    cross_checked: int,
    rejected: dict[str, list[str]],
    out: Path,
) -> None:
    inputs = [
        P24_BLOCKS,
        P24_HEADER,
        P24_FIELDS,
        P24_TYPES,
        P24_MESSAGES,
        USAGES,
        CAHIER,
        *CT_JSON.values(),
    ]
    lines = [
        "# Where the norm tables come from",
        "",
        "Generated by `python -m dsn_parser.norm.generate` (`make norm`); do not edit by hand.",
        "The generator is deterministic: same sources, byte-identical files.",
        "",
        "## Inputs (`reference/dsn/dictionary/`, provenance in its SOURCES.md)",
        "",
        *(f"- `{name}` sha256 `{sha256(source / name)}`" for name in inputs),
        "- `dsn_parser/norm/service_blocks.csv`, `dsn_parser/norm/service_rubrics.csv`: "
        "hand-written, see below.",
        "",
    ]
    for version in versions:
        lines += [f"## {version.version}", "", *version.notes]
        if rejected[version.version]:
            lines.append(
                "- regexps Python cannot compile, dropped: " + "; ".join(rejected[version.version])
            )
        else:
            lines.append("- every regexp compiles with Python `re` as is (none translated).")
        lines.append("")
    lines += [
        "## All versions",
        "",
        "- envoi skeleton: S10.G00.00 is the root; S20.G00.05 (1..n) and S90.G00.90 (1..1) are "
        "its children (cahier technique §3.2; the dictionary lists them apart, without parent).",
        f"- usages per declaration nature (`usage_01` ... `usage_09`: O obligatoire, "
        f"C conditionnel, F facultatif, I interdit, N bloc absent): `{USAGES}`, the CT2025.1 "
        "tableau des usages, applied to P24V01 and P26V01 too (no other usage table in our "
        f"sources). Rubrics it lost, read from the cahier text (whose reading agrees with the "
        f"table on all {cross_checked} rubrics both give): "
        + (", ".join(sorted(recovered)) or "none")
        + ". No usage table gives nature 10 (P26V01): no `usage_10` column; rubrics new in "
        "P26V01 have no usage.",
        "- service blocks and rubrics (`origin` = `service`): the insurer's lot envelope "
        "(S05/S06/S96/S95.G51.00), the deposit platform's S10.G00.95 and S20.G00.96, the "
        "concentrator's S20.G51.00 and the 9xx rubrics S21.G00.06.903 / S21.G00.11.904. They are "
        "in no dictionary nor in the cahier technique; taken from the sample lot file "
        "(Jikenlabs/open-neodes sample_dsn_P25V01.dsn), open-neodes' DsnTechnicalDefinitions "
        "(lengths) and the FFSA/COS lot layout quoted in a public DSN parser. Lengths where known, "
        "no regexp, no usage.",
        f"- control catalogue (`controls.csv`): `{P24_MESSAGES}` gives P24V01's controls with "
        "their complete description and message; a control is also marked P25V01 / P26V01 when "
        "that version's JSON lists it on the same rubric with the same number. The JSON cut "
        "texts at 500 characters and lists no CRE: a control P24V01 lacks takes the JSON's "
        "text, and the CRE are marked P24V01 only. Three ids the workbook misspells are "
        "normalised (`CCH -11`, `CCH14`). Kind SIG is non-blocking, every other kind blocking "
        "(cahier technique 2025.1 §4.1, §4.4.6). `applicability` and `reason`: "
        "`controls_not_applicable.csv`, hand-written; `on_trial`: `controls_on_trial.csv`, "
        "hand-written (blocking controls that only warn for now).",
        "",
    ]
    (out / "SOURCES.md").write_text("\n".join(lines), encoding="utf-8")


def generate(source: Path, out: Path) -> list[Version]:
    p24 = read_p24(source)
    versions = [p24, *(read_ct_json(source, version, p24) for version in CT_JSON)]
    assert tuple(v.version for v in versions) == KNOWN_VERSIONS
    usages = read_usages(source)
    from_cahier = recover_usages(
        (source / CAHIER).read_text(encoding="utf-8"), {r for v in versions for r in v.rubrics}
    )
    # The cahier reading fills the table's gaps; where both give a rubric they must agree.
    disagreements = [r for r in from_cahier if r in usages and usages[r] != from_cahier[r]]
    if disagreements:
        raise ValueError(f"usages differ between {USAGES} and {CAHIER}: {disagreements}")
    recovered = {r: from_cahier[r] for r in from_cahier if r not in usages}
    usages |= recovered
    service_blocks, service_rubrics = read_service_supplement()
    rejected = {}
    for version in versions:
        add_usages(version, usages)
        add_service(version, service_blocks, service_rubrics)
        rejected[version.version] = check_regexps(version)
        check_tree(version)
        write_version(version, out)
    write_controls(
        read_controls(source), read_not_applicable(), read_on_trial(), out / CONTROLS_CSV
    )
    write_sources(versions, source, recovered, len(from_cahier) - len(recovered), rejected, out)
    for name, problems in rejected.items():
        for problem in problems:
            print(f"{name}: regexp dropped, {problem}", file=sys.stderr)
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, required=True, help="reference/dsn/dictionary")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="default: the package data")
    args = parser.parse_args(argv)
    for version in generate(args.source, args.out):
        print(f"{version.version}: {len(version.blocks)} blocks, {len(version.rubrics)} rubrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
