"""Line-level controls: lexing, transcoding scars, and the CSL syntax controls of each value.

At most one CSL finding per line, the most telling first (length, then the real-date, first-of-
month or amount format, then the norm's pattern, then the code list): a value of the wrong length
usually also fails its pattern, one problem should read as one diagnostic, and "not a real date"
says more to a data steward than "does not match the pattern".
"""

from __future__ import annotations

from functools import cache
from itertools import chain

import polars as pl
from stdnum import iban
from stdnum.fr import siren, siret

from dsn_parser.decoding import UTF_8_ENCODINGS
from dsn_parser.lexer import VALUE_FRAME
from dsn_parser.model import ENGINE, ID_TYPE, OPTIMIZATIONS
from dsn_parser.tables import NORM_RUBRIC
from dsn_parser.validation.context import Context, norm_tables
from dsn_parser.validation.diagnostics import findings, shown_value

MAX_LINE_LENGTH = 256
REPLACEMENT_CHAR = "\ufffd"
DECLARED_MONTH_RUBRIC = "S20.G00.05.005"
FRACTION_RUBRIC = "S20.G00.05.003"
# Fraction "XY" = part X of Y parts (cahier technique §1.4.3): 11 for an unsplit declaration,
# 12 and 22 for two parts... The dictionary only gives the pattern [1-9]{2}, which lets 21 through.
FRACTION_CODES = tuple(f"{part}{parts}" for parts in range(1, 10) for part in range(1, parts + 1))
_AMOUNT = r"^-?[0-9]+\.[0-9]{2}$"


def check(ctx: Context) -> list[pl.LazyFrame]:
    return [_lexing(ctx), _replacement_chars(ctx), _csl(ctx), _check_digits(ctx)]


def _lexing(ctx: Context) -> pl.LazyFrame:
    value = pl.col("value")
    line_length = value.str.len_chars() + VALUE_FRAME
    # A character is at least a byte: the byte length (free to read) rules out nearly every
    # line before characters are counted.
    may_be_too_long = value.str.len_bytes() + VALUE_FRAME > MAX_LINE_LENGTH
    # One pass over the lines keeps the few that may have a finding; each control below reads
    # those only.
    lines = ctx.lines.filter(
        value.is_null() | (value == "") | _has_edge_blank(value) | may_be_too_long
    ).lazy()
    unlexed = lines.filter(value.is_null())
    # The raw line is never shown: it may hold a NIR or a name.
    has_rubric_id = pl.col("claimed_rubric").is_not_null()
    unquoted = findings(
        unlexed.filter(has_rubric_id),
        "LEX-UNQUOTED",
        pl.lit(
            "La valeur n'est pas encadrée d'apostrophes (forme attendue : rubrique,'valeur') ; "
            "la ligne est ignorée."
        ),
        rubric=pl.col("claimed_rubric"),
    )
    # An empty line carries no data: worth a warning (the norm has none), not a rejection.
    blank = findings(
        unlexed.filter(pl.col("raw").str.strip_chars() == ""),
        "LEX-BLANK-LINE",
        pl.lit("Ligne vide : la norme n'en prévoit pas ; elle est ignorée."),
    )
    malformed = findings(
        unlexed.filter(~has_rubric_id & (pl.col("raw").str.strip_chars() != "")),
        "LEX-MALFORMED",
        pl.format(
            "Ligne illisible de {} caractères : ni identifiant de rubrique Sxx.Gxx.xx.xxx ni "
            "valeur entre apostrophes ; la ligne est ignorée.",
            pl.col("raw").str.len_chars().fill_null(0),
        ),
    )
    empty = findings(
        lines.filter(value == ""),
        "LEX-EMPTY-VALUE",
        pl.lit("Valeur vide : la norme interdit les rubriques vides ; omettre la rubrique."),
    )
    blanks = findings(
        lines.filter(_has_edge_blank(value)),
        "LEX-BLANKS",
        pl.format(
            "La valeur {} commence ou finit par un blanc, ce que la norme interdit.", shown_value()
        ),
    )
    too_long = findings(
        lines.filter(may_be_too_long).filter(line_length > MAX_LINE_LENGTH),
        "LEX-LINE-TOO-LONG",
        pl.format(
            "Ligne de {} caractères ; la norme en permet {} au plus.",
            line_length,
            pl.lit(MAX_LINE_LENGTH),
        ),
    )
    return pl.concat([unquoted, blank, malformed, empty, blanks, too_long])


def _has_edge_blank(value: pl.Expr) -> pl.Expr:
    """The value starts or ends with a space (the norm forbids both)."""
    return value.str.starts_with(" ") | value.str.ends_with(" ")


def _replacement_chars(ctx: Context) -> pl.LazyFrame:
    # Only a UTF-8 file can carry U+FFFD: every byte of a Latin-1 or cp1252 file (inspect()
    # rules out cp1252's undefined ones) decodes to another character.
    lines = ctx.lines.lazy() if ctx.encoding in UTF_8_ENCODINGS else ctx.lines.lazy().clear()
    text = pl.coalesce("value", "raw")
    scarred = pl.col("value").str.contains(REPLACEMENT_CHAR, literal=True) | pl.col(
        "raw"
    ).str.contains(REPLACEMENT_CHAR, literal=True)
    return findings(
        lines.filter(scarred.fill_null(False)),
        "ENC-REPLACEMENT-CHAR",
        pl.format(
            "La valeur contient {} caractère(s) perdu(s) lors d'un transcodage (�), à la "
            "position {} : le fichier a été mal converti avant de nous parvenir.",
            text.str.count_matches(REPLACEMENT_CHAR, literal=True),
            text.str.find(REPLACEMENT_CHAR, literal=True) + 1,
        ),
    )


def _csl(ctx: Context) -> pl.LazyFrame:
    """One pass over the values computes the first failing check of each line; messages are
    then built for the failing lines only."""
    value = pl.col("value")
    length = value.str.len_chars()
    too_short = length < pl.col("min_length")
    too_long = length > pl.col("max_length")
    pattern_fails = ~value.str.contains(pl.col("anchored"))
    is_date = pl.col("nature") == "date"
    # Parsed on the date rubrics' values only: a failed parse costs more than a good one, and
    # the amounts (most of the distinct values) would all fail it.
    not_a_date = (
        is_date & pl.when(is_date).then(value).str.to_date("%d%m%Y", strict=False).is_null()
    )
    not_first_of_month = (pl.col("rubric") == DECLARED_MONTH_RUBRIC) & (
        value.str.slice(0, 2) != "01"
    )
    not_an_amount = (pl.col("nature") == "decimal") & ~value.str.contains(_AMOUNT)
    not_in_list = pl.col("closed_list") & pl.col("known_code").is_null()
    checked = value.is_not_null() & (value != "") & ~_has_edge_blank(value) & ~pl.col("service")
    # Codes and dates repeat on thousands of lines: each distinct value of a rubric is checked
    # once (filtered after `unique`, on far fewer rows), and the failing ones are traced back to
    # their lines.
    failing_values = (
        ctx.lines.lazy()
        .select("norm", "rubric", "value", "service")
        .unique()
        .filter(checked)
        .drop("service")
        .join(_checked_rubrics(ctx.norm_versions).lazy(), on=["norm", "rubric"], how="inner")
        .join(
            _code_lookup(ctx).lazy(),
            left_on=["norm", "rubric", "value"],
            right_on=["norm", "rubric", "code"],
            how="left",
        )
        .with_columns(
            failure=pl.when((too_short | too_long).fill_null(False))
            .then(pl.lit("CSL-LENGTH"))
            .when(not_a_date)
            .then(pl.lit("CSL-FORMAT-DATE"))
            .when(not_first_of_month)
            .then(pl.lit("CSL-FORMAT-MONTH"))
            .when(not_an_amount)
            .then(pl.lit("CSL-FORMAT-AMOUNT"))
            .when(pattern_fails.fill_null(False))
            .then(pl.lit("CSL-REGEXP"))
            .when(not_in_list.fill_null(False))
            .then(pl.lit("CSL-CODE"))
        )
        .filter(pl.col("failure").is_not_null())
        .collect(engine=ENGINE, optimizations=OPTIMIZATIONS)
    )
    # Few values fail, if any: a cheap filter on the value alone keeps the join back to the
    # lines from hashing every line of the file, and no value failing skips it altogether.
    lines = ctx.lines.lazy() if failing_values.height else ctx.lines.lazy().clear()
    failing = (
        lines.filter(value.is_in(failing_values.get_column("value").implode()) & checked)
        .select("line", "rubric", "value", "norm", "fallback")
        .join(failing_values.lazy(), on=["norm", "rubric", "value"], how="inner")
        .collect(engine=ENGINE, optimizations=OPTIMIZATIONS)
    )
    failure = pl.col("failure")
    shown = shown_value()
    return pl.concat(
        [
            findings(
                failing.filter(failure == "CSL-LENGTH"),
                "CSL-LENGTH",
                pl.format(
                    "La valeur {} a {} caractère(s) ; la norme en attend {}.",
                    shown_value(with_length=False),
                    length,
                    pl.when(pl.col("min_length") == pl.col("max_length"))
                    .then(pl.col("min_length").cast(pl.String))
                    .otherwise(
                        pl.format(
                            "de {} à {}",
                            pl.col("min_length").fill_null(1),
                            pl.col("max_length").cast(pl.String).fill_null("∞"),
                        )
                    ),
                ),
            ),
            findings(
                failing.filter(failure == "CSL-REGEXP"),
                "CSL-REGEXP",
                pl.format("La valeur {} ne respecte pas le format imposé par la norme.", shown),
            ),
            findings(
                failing.filter(failure.str.starts_with("CSL-FORMAT")),
                "CSL-FORMAT",
                pl.when(failure == "CSL-FORMAT-DATE")
                .then(
                    pl.format("La valeur {} n'est pas une date réelle au format JJMMAAAA.", shown)
                )
                .when(failure == "CSL-FORMAT-MONTH")
                .then(
                    pl.format(
                        "Le mois principal déclaré {} doit être le premier jour du mois.", shown
                    )
                )
                .otherwise(
                    pl.format(
                        "La valeur {} n'est pas un montant à deux décimales (ex. 1234.50 ou "
                        "-12.00).",
                        shown,
                    )
                ),
            ),
            findings(
                failing.filter(failure == "CSL-CODE"),
                "CSL-CODE",
                pl.format(
                    "Le code {} n'existe pas dans la liste de la norme {}.", shown, pl.col("norm")
                ),
                # Code lists change every year: a dictionary of another year cannot reject a code.
                warning_when=pl.col("fallback"),
            ),
        ]
    )


@cache
def _checked_rubrics(versions: tuple[str, ...]) -> pl.DataFrame:
    """What the CSL controls read of each rubric of these versions: norm, rubric, nature,
    min_length, max_length, anchored (its pattern), closed_list (True, or null)."""
    rubrics, _, _ = norm_tables(versions)
    return rubrics.select(
        "norm",
        "rubric",
        "nature",
        "min_length",
        "max_length",
        anchored=pl.format("^(?:{})$", pl.col("regexp")),  # XSD patterns are anchored
    ).join(_closed_lists_of(versions), on=["norm", "rubric"], how="left")


@cache
def _closed_lists_of(versions: tuple[str, ...]) -> pl.DataFrame:
    rubrics, _, _ = norm_tables(versions)
    return (
        rubrics.filter((pl.col("nature") == "enumeration") & (pl.col("rubric") != NORM_RUBRIC))
        .select("norm", "rubric", closed_list=pl.lit(True))
        .vstack(
            rubrics.select("norm")
            .unique()
            .with_columns(rubric=pl.lit(FRACTION_RUBRIC, ID_TYPE), closed_list=pl.lit(True))
        )
        .unique(["norm", "rubric"])
    )


def _code_lookup(ctx: Context) -> pl.DataFrame:
    return _code_lookup_of(ctx.norm_versions)


@cache
def _code_lookup_of(versions: tuple[str, ...]) -> pl.DataFrame:
    rubrics, _, codes = norm_tables(versions)
    fraction_codes = (
        rubrics.select("norm")
        .unique()
        .join(
            pl.DataFrame(
                {"rubric": FRACTION_RUBRIC, "code": FRACTION_CODES},
                schema={"rubric": ID_TYPE, "code": pl.String},
            ),
            how="cross",
        )
    )
    return (
        pl.concat([codes.select("norm", "rubric", "code"), fraction_codes])
        .unique()
        .with_columns(known_code=pl.lit(True))
    )


# (SIREN rubric, NIC rubric) of the SIRETs a declaration gives in two parts: the establishment's
# (its company's SIREN) and the sender's.
_COMPOSED_SIRETS = (("S21.G00.06.001", "S21.G00.11.001"), ("S10.G00.01.001", "S10.G00.01.002"))

# The shape each kind of identifier must have before its check digits mean anything; values of
# another shape are the CSL controls' business.
_IDENTIFIER_SHAPES = {
    "siren": r"^[0-9]{9}$",
    "siret": r"^[0-9]{14}$",
    "composed": r"^[0-9]{14}$",
    "iban": r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$",
}


def _check_digits(ctx: Context) -> pl.LazyFrame:
    """Check digits of SIREN, SIRET and IBAN rubrics, and of the SIRET composed of SIREN + NIC
    of the establishment (S21.G00.06.001 + S21.G00.11.001) and of the sender (S10.G00.01.001 +
    .002).

    python-stdnum does the checks (Luhn with La Poste's exception, IBAN mod 97); it runs once
    per distinct value, never once per line.
    """
    identifiers = _identifier_rubrics(ctx.norm_versions)
    read = [*identifiers.get_column("rubric").unique(), *chain.from_iterable(_COMPOSED_SIRETS)]
    # One pass over the lines, whose few holding an identifier are all the rest reads.
    lines = ctx.lines.filter(pl.col("rubric").is_in(read)).lazy()
    declared = lines.join(identifiers.lazy(), on=["norm", "rubric"], how="inner").select(
        "line", "rubric", "value", "kind"
    )
    composed = pl.concat([_composed_siret(lines, siren, nic) for siren, nic in _COMPOSED_SIRETS])
    shape = pl.col("kind").replace_strict(_IDENTIFIER_SHAPES)
    candidates = (
        pl.concat([declared, composed])
        .filter(pl.col("value").str.contains(shape))
        .collect(engine=ENGINE, optimizations=OPTIMIZATIONS)
    )
    # A plain loop over the few distinct identifiers: a Polars UDF costs more than the checks.
    distinct = candidates.select("kind", "value").unique()
    invalid_values = pl.DataFrame(
        [row for row in distinct.iter_rows() if not _check_digits_ok(*row)],
        schema={"kind": pl.String, "value": pl.String},
        orient="row",
    )
    invalid = candidates.lazy().join(invalid_values.lazy(), on=["kind", "value"], how="semi")
    kind = pl.col("kind")
    return pl.concat(
        [
            findings(
                invalid.filter(kind == "siren"),
                "CSL-SIREN",
                pl.format("Le SIREN {} a une clé de contrôle invalide.", shown_value()),
            ),
            findings(
                invalid.filter(kind.is_in(["siret", "composed"])),
                "CSL-SIRET",
                pl.format("Le SIRET {} a une clé de contrôle invalide.", shown_value()),
            ),
            findings(
                invalid.filter(kind == "iban"),
                "CSL-IBAN",
                pl.format("L'IBAN {} a une clé de contrôle invalide.", shown_value()),
            ),
        ]
    )


@cache
def _identifier_rubrics(versions: tuple[str, ...]) -> pl.DataFrame:
    """norm, rubric, kind (siren, siret or iban) of the rubrics holding such an identifier."""
    rubrics, _, _ = norm_tables(versions)
    datatype, label = pl.col("datatype"), pl.col("label")
    return rubrics.select(
        "norm",
        "rubric",
        kind=pl.when(datatype.str.contains("(?i)siren"))
        .then(pl.lit("siren"))
        .when(datatype.str.contains("(?i)siret"))
        .then(pl.lit("siret"))
        # IBAN rubrics have various datatypes (Banque_Iban, Type_Alphanumeric_15-34...)
        .when(label == "IBAN")
        .then(pl.lit("iban")),
    ).filter(pl.col("kind").is_not_null())


def _check_digits_ok(kind: str, value: str) -> bool:
    if kind == "siren":
        return bool(siren.is_valid(value))
    if kind == "siret":
        return bool(siret.is_valid(value))
    if kind == "iban":
        return bool(iban.is_valid(value))
    # A SIRET composed of SIREN + NIC: a bad SIREN is reported on its own line, so only the
    # NIC's share of the key is judged here.
    return bool(siret.is_valid(value)) or not siren.is_valid(value[:9])


def _composed_siret(lines: pl.LazyFrame, siren_rubric: str, nic_rubric: str) -> pl.LazyFrame:
    """The SIRET of each NIC line: the SIREN of its parent instance followed by the NIC.

    Reported on the NIC line, as kind "composed".
    """
    sirens = lines.filter(pl.col("rubric") == siren_rubric).select(
        parent_instance="instance_id", siren="value"
    )
    nics = lines.filter(pl.col("rubric") == nic_rubric)
    if siren_rubric[:10] == nic_rubric[:10]:  # SIREN and NIC in the same instance
        nics = nics.with_columns(parent_instance=pl.col("instance_id"))
    else:
        nics = nics.with_columns(parent_instance=pl.col("parent_id"))
    return nics.join(sirens, on="parent_instance", how="inner").select(
        "line", "rubric", value=pl.col("siren") + pl.col("value"), kind=pl.lit("composed")
    )
