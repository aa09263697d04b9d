"""The catalogue of controls, the masking of personal values, and the diagnostics frame.

Every control module returns *findings* built by `findings`: one row per problem with the line,
the rubric, the code, the severity and a French message. `to_diagnostics` turns them into the
DIAGNOSTICS_SCHEMA frame of the contract (file, declaration, the norm's label of the rubric).

Messages never carry a personal value in clear: `shown_value` is the only way a control puts a
declared value into a message, and it masks the rubrics listed below.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl

from dsn_parser.masking import mask_account_expr, mask_personal_expr
from dsn_parser.model import DIAGNOSTICS_SCHEMA, Severity
from dsn_parser.norm import official_controls


@dataclass(frozen=True)
class Control:
    code: str
    severity: Severity  # the default; some controls downgrade to a warning in stated cases
    title: str  # French: what the control checks, for reports and documentation


_CONTROLS = (
    Control("FILE-UNREADABLE", Severity.ERROR, "Fichier sans envoi DSN lisible"),
    Control("ENC-REPLACEMENT-CHAR", Severity.WARNING, "Caractère perdu au transcodage"),
    Control("LEX-UNQUOTED", Severity.ERROR, "Valeur non encadrée d'apostrophes"),
    Control("LEX-MALFORMED", Severity.ERROR, "Ligne qui n'est pas de la forme rubrique,'valeur'"),
    Control("LEX-BLANK-LINE", Severity.WARNING, "Ligne vide"),
    Control("LEX-EMPTY-VALUE", Severity.ERROR, "Valeur vide"),
    Control("LEX-BLANKS", Severity.ERROR, "Blancs en début ou en fin de valeur"),
    Control("LEX-LINE-TOO-LONG", Severity.ERROR, "Ligne de plus de 256 caractères"),
    Control("NORM-FALLBACK", Severity.WARNING, "Version de norme sans dictionnaire"),
    Control("STR-UNKNOWN-RUBRIC", Severity.ERROR, "Rubrique inconnue de la norme"),
    Control("STR-ORDER", Severity.ERROR, "Bloc hors de sa place dans l'arborescence"),
    Control("STR-CARDINALITY-MIN", Severity.ERROR, "Bloc obligatoire absent"),
    Control("STR-CARDINALITY-MAX", Severity.ERROR, "Bloc répété plus que permis"),
    Control("STR-MANDATORY", Severity.ERROR, "Rubrique obligatoire absente"),
    Control("STR-FORBIDDEN", Severity.ERROR, "Rubrique ou bloc interdit pour cette nature"),
    Control("STR-ENVOI-INCOMPLETE", Severity.ERROR, "Envoi sans total S90"),
    Control("CSL-LENGTH", Severity.ERROR, "Longueur de la valeur"),
    Control("CSL-FORMAT", Severity.ERROR, "Format de date ou de montant"),
    Control("CSL-REGEXP", Severity.ERROR, "Format imposé par la norme"),
    Control("CSL-CODE", Severity.ERROR, "Code absent de la liste de la norme"),
    Control("CSL-SIREN", Severity.ERROR, "Clé de contrôle du SIREN"),
    Control("CSL-SIRET", Severity.ERROR, "Clé de contrôle du SIRET"),
    Control("CSL-IBAN", Severity.ERROR, "Clé de contrôle de l'IBAN"),
    Control("S90-LINE-COUNT", Severity.ERROR, "Nombre de rubriques de l'envoi"),
    Control("S90-DECLARATION-COUNT", Severity.ERROR, "Nombre de déclarations de l'envoi"),
)
# The official controls, by their id ("S21.G00.70.013/CCH-11"): a SIG is a warning, every
# other kind an error unless on trial; titled by their official message.
_OFFICIAL = (
    Control(
        control.control_id,
        Severity.ERROR if control.blocking and not control.on_trial else Severity.WARNING,
        control.message,
    )
    for control in official_controls().values()
)

CATALOGUE: dict[str, Control] = {control.code: control for control in (*_CONTROLS, *_OFFICIAL)}

# Blocks whose every rubric identifies a person (identity, identity changes, dependants,
# bank details of the establishment, self-employed individuals, fee beneficiaries).
_PERSONAL_BLOCKS = (
    "S21.G00.30",
    "S21.G00.31",
    "S21.G00.73",
    "S21.G00.12",
    "S89.G00.32",
    "S89.G00.91",
)
# Single personal rubrics in otherwise non-personal blocks: BIC/IBAN (payment, subrogation),
# contact persons' names, e-mails and phone numbers, the depositor's name and e-mail.
_PERSONAL_RUBRICS = (
    "S21.G00.20.003",
    "S21.G00.20.004",
    "S21.G00.60.007",
    "S21.G00.60.008",
    "S10.G00.02.002",
    "S10.G00.02.004",
    "S10.G00.02.005",
    "S10.G00.02.006",
    "S20.G00.07.001",
    "S20.G00.07.002",
    "S20.G00.07.003",
    "S10.G00.95.001",
    "S10.G00.95.002",
    "S10.G00.95.901",
)
# The IBANs among the personal rubrics (bank details, payment, subrogation): masked as accounts.
_ACCOUNT_RUBRICS = ("S21.G00.12.003", "S21.G00.20.004", "S21.G00.60.007")
VALUE = pl.col("value")
RUBRIC = pl.col("rubric")
LINE = pl.col("line")


def is_personal(rubric: pl.Expr) -> pl.Expr:
    rubric = rubric.cast(pl.String)  # a line's id (categorical) or a finding's (string)
    return rubric.str.slice(0, 10).is_in(_PERSONAL_BLOCKS) | rubric.is_in(_PERSONAL_RUBRICS)


@cache  # built once: a night reads thousands of small files, each building its messages
def shown_value(*, with_length: bool = True) -> pl.Expr:
    """The finding's value as a message may show it: « value », or masked with its length by
    the policy of `dsn_parser.masking`: « 1************ » (13 caractères), « FR76…0186 »
    (27 caractères). `with_length=False` leaves the length out, for a message that states it
    itself."""
    value, rubric = VALUE, RUBRIC
    masked = (
        pl.when(rubric.is_in(_ACCOUNT_RUBRICS))
        .then(mask_account_expr(value))
        .otherwise(mask_personal_expr(value))
    )
    length = pl.format(" ({} caractères)", value.str.len_chars()) if with_length else pl.lit("")
    return (
        pl.when(is_personal(rubric))
        .then(pl.format("« {} »{}", masked, length))
        .otherwise(pl.format("« {} »", value))
    )


def findings(
    frame: pl.LazyFrame | pl.DataFrame,
    code: str,
    message: pl.Expr,
    *,
    line: pl.Expr = LINE,
    rubric: pl.Expr = RUBRIC,
    warning_when: pl.Expr | None = None,
) -> pl.LazyFrame:
    """One finding of `code` per row of `frame`.

    `warning_when` downgrades an error to a warning on the rows where it holds (for instance
    presence rules checked against a fallback dictionary).
    """
    severity = pl.lit(CATALOGUE[code].severity.value)
    if warning_when is not None:
        severity = pl.when(warning_when).then(pl.lit(Severity.WARNING.value)).otherwise(severity)
    return frame.lazy().select(
        line.cast(pl.UInt32).alias("line"),
        rubric.cast(pl.String).alias("rubric"),
        pl.lit(code).alias("code"),
        severity.alias("severity"),
        message.cast(pl.String).alias("message"),
    )


def lines_at(lines: pl.DataFrame, numbers: pl.Series) -> pl.DataFrame:
    """The lines of these numbers, for joining to the findings on them: joining all the lines
    would hash every line of the file for a few findings."""
    return lines.filter(pl.col("line").is_in(numbers.implode()))


def to_diagnostics(
    found: pl.DataFrame, *, file_id: str, lines: pl.DataFrame, labels: pl.DataFrame
) -> pl.DataFrame:
    """The contract's diagnostics frame, in line order.

    `lines` gives each finding its declaration; `labels` (rubric, label) the norm's label.
    """
    declaration_of_line = lines_at(lines, found["line"]).select("line", "declaration_id")
    return (
        found.join(declaration_of_line, on="line", how="left")
        .join(
            labels.unique("rubric").with_columns(pl.col("rubric").cast(pl.String)),
            on="rubric",
            how="left",
        )
        .select(
            pl.lit(file_id, dtype=pl.String).alias("file_id"),
            *[
                pl.col(name).cast(dtype)
                for name, dtype in DIAGNOSTICS_SCHEMA.items()
                if name != "file_id"
            ],
        )
        .sort("line", "code", "rubric", nulls_last=False)
    )
