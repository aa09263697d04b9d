"""Cross-rubric controls (CCH) an insurer relies on: the chain adhésion ↔ affiliation ↔ base 31
↔ one cotisation 059, the declared payment against its components, and dates in order.

Technical ids (15.005, 70.012, 70.013, 78.005) only mean something inside their establishment
or individual, so every reference is resolved within that scope.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dsn_parser.validation.context import Context
from dsn_parser.validation.diagnostics import findings

BASE_31 = "31"  # prévoyance, santé, retraite supplémentaire
COTISATION_059 = "059"  # the employee's contribution for one affiliation
_AMOUNT = pl.Decimal(38, 2)


@dataclass(frozen=True)
class DatePair:
    """Two dates of one block instance that must be in order (start ≤ end)."""

    block: str
    start: str
    end: str
    what: str  # French, "l'arrêt de travail"


SAME_INSTANCE_DATE_PAIRS = (
    DatePair("S21.G00.20", "S21.G00.20.006", "S21.G00.20.007", "la période du versement"),
    DatePair("S21.G00.51", "S21.G00.51.001", "S21.G00.51.002", "la période de paie"),
    DatePair("S21.G00.60", "S21.G00.60.002", "S21.G00.60.003", "l'arrêt de travail"),
    DatePair("S21.G00.65", "S21.G00.65.002", "S21.G00.65.003", "la suspension du contrat"),
)


# Every rubric the controls read: the file's lines are filtered to these once and split by
# rubric, so each control joins its own rubrics' lines instead of scanning every line again.
READ_RUBRICS = (
    "S21.G00.15.005",
    "S21.G00.20.005",
    "S21.G00.40.001",
    "S21.G00.55.001",
    "S21.G00.62.001",
    "S21.G00.70.012",
    "S21.G00.70.013",
    "S21.G00.78.001",
    "S21.G00.78.005",
    "S21.G00.81.001",
    *(rubric for pair in SAME_INSTANCE_DATE_PAIRS for rubric in (pair.start, pair.end)),
)


_DECLARED_SCHEMA = {"instance_id": pl.UInt32(), "line": pl.UInt32(), "value": pl.String()}


@dataclass(frozen=True)
class Declared:
    """Per rubric the controls read, its lines (instance_id, line, value); and the instances."""

    by_rubric: dict[str, pl.DataFrame]
    instances: pl.LazyFrame

    @classmethod
    def of(cls, ctx: Context) -> Declared:
        lines = ctx.lines.filter(pl.col("rubric").is_in(READ_RUBRICS)).select(
            "rubric", "instance_id", "line", "value"
        )
        by_rubric = {
            rubric: frame
            for (rubric,), frame in lines.partition_by(
                "rubric", as_dict=True, include_key=False
            ).items()
        }
        return cls(by_rubric=by_rubric, instances=ctx.instances.lazy())

    def lines_of(self, rubric: str) -> pl.LazyFrame:
        assert rubric in READ_RUBRICS, f"add {rubric} to READ_RUBRICS"
        lines = self.by_rubric.get(rubric)
        return (pl.DataFrame(schema=_DECLARED_SCHEMA) if lines is None else lines).lazy()


def check(ctx: Context) -> list[pl.LazyFrame]:
    declared = Declared.of(ctx)
    return [
        _affiliation_without_adhesion(declared),
        _base31_without_affiliation(declared),
        _base31_cotisations(declared),
        _payment_total(declared),
        *[_dates_in_order(declared, pair) for pair in SAME_INSTANCE_DATE_PAIRS],
        _contract_end_after_start(declared),
    ]


def instance_values(declared: Declared, block: str, rubrics: list[str]) -> pl.LazyFrame:
    """One row per instance of `block`: its ids and, per rubric, the value and its line
    (columns "<rubric>" and "<rubric>:line"; null when the rubric is absent)."""
    values = declared.instances.filter(pl.col("block") == block).select(
        "instance_id", "parent_id", "individual_id", "establishment_id"
    )
    # A rubric occurs at most once per instance (a repeat starts a new instance), so each
    # rubric's lines join on the instance id as they are, with no grouping.
    for rubric in rubrics:
        declared_rubric = declared.lines_of(rubric).select(
            "instance_id", pl.col("value").alias(rubric), pl.col("line").alias(f"{rubric}:line")
        )
        values = values.join(declared_rubric, on="instance_id", how="left", maintain_order="left")
    return values


def _affiliation_without_adhesion(declared: Declared) -> pl.LazyFrame:
    adhesions = instance_values(declared, "S21.G00.15", ["S21.G00.15.005"]).select(
        "establishment_id", adhesion="S21.G00.15.005"
    )
    orphans = (
        instance_values(declared, "S21.G00.70", ["S21.G00.70.013"])
        .filter(pl.col("S21.G00.70.013").is_not_null())
        .join(
            adhesions,
            left_on=["establishment_id", "S21.G00.70.013"],
            right_on=["establishment_id", "adhesion"],
            how="anti",
            nulls_equal=True,
        )
    )
    return findings(
        orphans,
        "CCH-AFFILIATION-ADHESION",
        pl.format(
            "L'affiliation désigne l'adhésion « {} » (S21.G00.70.013), mais aucune adhésion "
            "S21.G00.15 de l'établissement ne porte cet identifiant technique (S21.G00.15.005).",
            pl.col("S21.G00.70.013"),
        ),
        line=pl.col("S21.G00.70.013:line"),
        rubric=pl.lit("S21.G00.70.013"),
    )


def _bases_31(declared: Declared) -> pl.LazyFrame:
    return instance_values(declared, "S21.G00.78", ["S21.G00.78.001", "S21.G00.78.005"]).filter(
        pl.col("S21.G00.78.001") == BASE_31
    )


def _base31_without_affiliation(declared: Declared) -> pl.LazyFrame:
    affiliations = instance_values(declared, "S21.G00.70", ["S21.G00.70.012"]).select(
        "individual_id", affiliation="S21.G00.70.012"
    )
    bases = _bases_31(declared)
    unmatched = bases.filter(pl.col("S21.G00.78.005").is_not_null()).join(
        affiliations,
        left_on=["individual_id", "S21.G00.78.005"],
        right_on=["individual_id", "affiliation"],
        how="anti",
        nulls_equal=True,
    )
    without_reference = bases.filter(pl.col("S21.G00.78.005").is_null())
    return pl.concat(
        [
            findings(
                unmatched,
                "CCH-BASE31-AFFILIATION",
                pl.format(
                    "La base assujettie 31 désigne l'affiliation « {} » (S21.G00.78.005), mais "
                    "aucune affiliation S21.G00.70 de ce salarié ne porte cet identifiant "
                    "technique (S21.G00.70.012).",
                    pl.col("S21.G00.78.005"),
                ),
                line=pl.col("S21.G00.78.005:line"),
                rubric=pl.lit("S21.G00.78.005"),
            ),
            findings(
                without_reference,
                "CCH-BASE31-AFFILIATION",
                pl.lit(
                    "La base assujettie 31 n'indique pas l'affiliation à laquelle elle se "
                    "rapporte (S21.G00.78.005 absente)."
                ),
                line=pl.col("instance_id"),
                rubric=pl.lit("S21.G00.78.005"),
            ),
        ]
    )


def _base31_cotisations(declared: Declared) -> pl.LazyFrame:
    cotisations_059 = (
        instance_values(declared, "S21.G00.81", ["S21.G00.81.001"])
        .filter(pl.col("S21.G00.81.001") == COTISATION_059)
        .group_by("parent_id")
        .agg(count=pl.len())
    )
    wrong = (
        _bases_31(declared)
        .join(cotisations_059, left_on="instance_id", right_on="parent_id", how="left")
        .with_columns(pl.col("count").fill_null(0))
        .filter(pl.col("count") != 1)
    )
    return findings(
        wrong,
        "CCH-BASE31-COTISATION",
        pl.format(
            "La base assujettie 31 doit porter exactement une cotisation individuelle S21.G00.81 "
            "de code 059 (cotisation du salarié pour cette affiliation) ; elle en porte {}.",
            pl.col("count"),
        ),
        line=pl.col("instance_id"),
        rubric=pl.lit("S21.G00.78.001"),
    )


def _payment_total(declared: Declared) -> pl.LazyFrame:
    """S21.G00.20.005 = Σ S21.G00.55.001 of its components, in exact decimals. A payment with no
    component (URSSAF or DGFiP payments use the 22/23 bordereau instead) is not compared."""
    components = (
        instance_values(declared, "S21.G00.55", ["S21.G00.55.001"])
        .group_by("parent_id")
        .agg(
            components=pl.len(),
            unreadable=pl.col("S21.G00.55.001").cast(_AMOUNT, strict=False).is_null().sum(),
            total=pl.col("S21.G00.55.001").cast(_AMOUNT, strict=False).sum(),
        )
    )
    wrong = (
        instance_values(declared, "S21.G00.20", ["S21.G00.20.005"])
        .with_columns(amount=pl.col("S21.G00.20.005").cast(_AMOUNT, strict=False))
        .join(components, left_on="instance_id", right_on="parent_id", how="inner")
        # Unreadable amounts are CSL findings already.
        .filter(pl.col("amount").is_not_null() & (pl.col("unreadable") == 0))
        .filter(pl.col("amount") != pl.col("total"))
    )
    return findings(
        wrong,
        "CCH-VERSEMENT-TOTAL",
        pl.format(
            "Le versement de {} (S21.G00.20.005) diffère de la somme de ses {} composant(s) "
            "S21.G00.55.001, qui vaut {}.",
            pl.col("amount"),
            pl.col("components"),
            pl.col("total"),
        ),
        line=pl.coalesce("S21.G00.20.005:line", "instance_id"),
        rubric=pl.lit("S21.G00.20.005"),
    )


def _as_date(column: str) -> pl.Expr:
    return pl.col(column).str.to_date("%d%m%Y", strict=False)


def _shown_date(column: str) -> pl.Expr:
    return _as_date(column).dt.strftime("%d/%m/%Y")


def _dates_in_order(declared: Declared, pair: DatePair) -> pl.LazyFrame:
    reversed_dates = instance_values(declared, pair.block, [pair.start, pair.end]).filter(
        _as_date(pair.start) > _as_date(pair.end)
    )
    return findings(
        reversed_dates,
        "CCH-DATE-ORDER",
        pl.format(
            f"Dates dans le désordre pour {pair.what} : {pair.end} ({{}}) est antérieure à "
            f"{pair.start} ({{}}).",
            _shown_date(pair.end),
            _shown_date(pair.start),
        ),
        line=pl.col(f"{pair.end}:line"),
        rubric=pl.lit(pair.end),
    )


def _contract_end_after_start(declared: Declared) -> pl.LazyFrame:
    starts = instance_values(declared, "S21.G00.40", ["S21.G00.40.001"]).select(
        contract="instance_id", start="S21.G00.40.001"
    )
    reversed_dates = (
        instance_values(declared, "S21.G00.62", ["S21.G00.62.001"])
        .join(starts, left_on="parent_id", right_on="contract", how="inner")
        .filter(_as_date("start") > _as_date("S21.G00.62.001"))
    )
    return findings(
        reversed_dates,
        "CCH-DATE-ORDER",
        pl.format(
            "La fin du contrat S21.G00.62.001 ({}) est antérieure à son début S21.G00.40.001 ({}).",
            _shown_date("S21.G00.62.001"),
            _shown_date("start"),
        ),
        line=pl.col("S21.G00.62.001:line"),
        rubric=pl.lit("S21.G00.62.001"),
    )
