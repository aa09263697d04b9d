"""Typed block tables, natural keys and the declarations table.

One table per block present: one row per instance, INSTANCE_COLUMNS, the natural keys that
apply, then one column per rubric of the block in the norm (plus any rubric the norm does not
know, as text), typed from the norm: dates as pl.Date, amounts and rates as exact decimals,
counts as integers, everything else (codes, identifiers, text) as strings. A value that does not
fit its type is null in the table; the lines frame keeps it as declared and validation reports
it.

Natural keys (DOMAIN.md §2) are built from declared values, never from technical ids:
`siren`/`siret` on every S21 row, `employee_key` (NIR, else "NTT:" + NTT) on the individual and
its descendants, `employment_contract_key` (employee key | start date | contract number) on the
contract and its descendants, `oc_contract_key` (OC code | delegated manager | contract
reference) on the adhésion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from dsn_parser.model import (
    DECLARATIONS_SCHEMA,
    ENGINE,
    ID_TYPE,
    INSTANCE_COLUMNS,
    OPTIMIZATIONS,
    DeclarationStatus,
    by_id,
)
from dsn_parser.norm import Norm
from dsn_parser.tree import CONTRAT_BLOCK, DECLARATION_BLOCK, ENVOI_BLOCK, INDIVIDU_BLOCK

ENTREPRISE_BLOCK = "S21.G00.06"
ETABLISSEMENT_BLOCK = "S21.G00.11"
ADHESION_BLOCK = "S21.G00.15"
NORM_RUBRIC = "S10.G00.00.006"

KEY_COLUMNS: dict[str, pl.DataType] = {
    "siren": pl.String(),
    "siret": pl.String(),
    "employee_key": pl.String(),
    "employment_contract_key": pl.String(),
    "oc_contract_key": pl.String(),
}

_DATE_SHAPE = r"^\d{8}$"
_INTEGER_SHAPE = r"^-?\d{1,18}$"
# Counts are the numeric rubrics whose label says so; other numeric rubrics (fraction, order
# number, payment number, PAS rate id...) are codes or identifiers where leading zeros matter.
_COUNT_LABEL = re.compile(r"^(Nombre|Effectif)\b")
_DECIMALS_IN_REGEXP = re.compile(r"\\\.(?:\[0-9\]|\\d)\{(?:\d+,)?(\d+)\}")


# Distinct (block, text columns) selections a layout remembers; past this it starts afresh.
_REMEMBERED_SELECTIONS = 4096


@dataclass(frozen=True)
class TableLayout:
    """The typed columns of each block, for one norm version."""

    rubric_types: dict[str, pl.DataType]
    block_rubrics: dict[str, list[str]]
    _selections: dict[tuple[str, tuple[str, ...]], list[pl.Expr]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def typed_selection(self, block: str, columns: tuple[str, ...]) -> list[pl.Expr]:
        """The columns of `block`'s typed table after file_id, from its text table's `columns`.

        Remembered per block and set of columns: a night reads thousands of small files with
        the same few shapes, and building these expressions anew cost about 10 ms of a small
        file's 80.
        """
        key = (block, columns)
        if key not in self._selections:
            if len(self._selections) >= _REMEMBERED_SELECTIONS:
                self._selections.clear()
            self._selections[key] = self._selection(block, columns)
        return self._selections[key]

    def _selection(self, block: str, columns: tuple[str, ...]) -> list[pl.Expr]:
        known = self.block_rubrics.get(block, [])
        unknown = sorted(
            column for column in columns if column.startswith(block) and column not in known
        )
        return [
            *(
                pl.col(name).cast(dtype)
                for name, dtype in INSTANCE_COLUMNS.items()
                if name != "file_id"
            ),
            *(pl.col(name) for name in KEY_COLUMNS if name in columns),
            *(
                typed(rubric, self.rubric_types[rubric]).alias(rubric)
                if rubric in columns
                else pl.lit(None, self.rubric_types[rubric]).alias(rubric)
                for rubric in known
            ),
            *(pl.col(name) for name in unknown),
        ]

    @classmethod
    def from_norm(cls, norm: Norm) -> TableLayout:
        rubric_types: dict[str, pl.DataType] = {}
        block_rubrics: dict[str, list[str]] = {}
        for rubric, block, label, nature, regexp in norm.rubrics.select(
            "rubric", "block", "label", "nature", "regexp"
        ).iter_rows():
            rubric_types[rubric] = _dtype(nature, regexp, label or "")
            block_rubrics.setdefault(block, []).append(rubric)
        return cls(rubric_types=rubric_types, block_rubrics=block_rubrics)


def _dtype(nature: str | None, regexp: str | None, label: str) -> pl.DataType:
    if nature == "date":
        return pl.Date()
    if nature == "decimal":
        scales = [int(digits) for digits in _DECIMALS_IN_REGEXP.findall(regexp or "")]
        return pl.Decimal(38, max(scales, default=2))
    if nature == "numeric" and _COUNT_LABEL.match(label):
        return pl.Int64()
    return pl.String()


def typed(column: str, dtype: pl.DataType) -> pl.Expr:
    """The declared text of `column` as `dtype`; null when it does not fit exactly.

    Shapes are checked first because the casts are lenient: strptime would read "0102202" as
    year 202 and the decimal cast would round "1.555" to 1.56.
    """
    value = pl.col(column)
    if dtype == pl.Date():
        return pl.when(value.str.contains(_DATE_SHAPE)).then(
            value.str.strptime(pl.Date, "%d%m%Y", strict=False)
        )
    if isinstance(dtype, pl.Decimal):
        scale = dtype.scale
        shape = rf"^-?\d{{1,{38 - scale}}}(\.\d{{1,{scale}}})?$"
        return pl.when(value.str.contains(shape)).then(value.cast(dtype, strict=False))
    if dtype == pl.Int64():
        return pl.when(value.str.contains(_INTEGER_SHAPE)).then(value.cast(pl.Int64, strict=False))
    return value


@dataclass
class OpenKeys:
    """The keys of the envoi, declaration, individual and contract still open at the end of a
    batch: when a huge envoi is cut between batches, the next batch's rows hang on them."""

    envoi: pl.DataFrame | None = None  # envoi_id, norm
    declaration: pl.DataFrame | None = None
    employee: pl.DataFrame | None = None
    contract: pl.DataFrame | None = None


def build_tables(
    lines: pl.DataFrame,
    instances: pl.DataFrame,
    layout: TableLayout,
    file_id: str,
    open_keys: OpenKeys | None = None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The typed block tables and the declarations table of a batch of lines.

    `open_keys` (read and updated) carries keys from the previous batch of the same file.
    """
    carried = open_keys or OpenKeys()
    text = _text_tables(lines, instances)
    envoi_norms = _with_carried(_envoi_norms(text), carried.envoi)
    declaration_keys = _with_carried(_declaration_keys(text), carried.declaration)
    employee_keys = _with_carried(_employee_keys(text), carried.employee)
    contract_keys = _with_carried(_contract_keys(text, employee_keys), carried.contract)
    # One plan per block, run together: a small file has a few rows in each of some twenty
    # blocks, where running each step eagerly would cost more than the data.
    plans = [
        _typed_table(
            block,
            _with_keys(block, table, declaration_keys, employee_keys, contract_keys),
            layout,
            file_id,
        )
        for block, table in text.items()
    ]
    tables = dict(
        zip(text, pl.collect_all(plans, engine=ENGINE, optimizations=OPTIMIZATIONS), strict=True)
    )
    declarations = _declarations(text, envoi_norms, declaration_keys, file_id)
    carried.envoi = envoi_norms.tail(1)
    carried.declaration = declaration_keys.tail(1)
    carried.employee = employee_keys.tail(1)
    carried.contract = contract_keys.tail(1)
    return tables, declarations


def _with_carried(keys: pl.DataFrame, carried: pl.DataFrame | None) -> pl.DataFrame:
    return keys if carried is None else pl.concat([carried, keys])


def _text_tables(lines: pl.DataFrame, instances: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Per block: its instances with one text column per rubric present, in line order.

    Long to wide without a pivot per block: every (instance, rubric) cell gets a position in
    one flat column laid out block after block, row after row; one scatter fills it and each
    block's region is reshaped into its rows. A rubric appears at most once per instance (a
    repeat starts a new instance), so no value is overwritten.
    """
    values = lines.select("instance_id", "rubric", "value").filter(pl.col("rubric").is_not_null())
    if values.is_empty():
        return {}
    columns = (
        values.select(pl.col("rubric").unique().sort())
        .with_columns(block=pl.col("rubric").cat.slice(0, 10).cast(ID_TYPE))
        .with_columns(cell=pl.int_range(pl.len()).over("block"), width=pl.len().over("block"))
    )
    shapes = (
        instances.group_by("block")
        .agg(rows=pl.len())
        .join(columns.group_by("block").agg(width=pl.len()), on="block")
        .sort("block")
        .with_columns(size=pl.col("rows") * pl.col("width"))
        .with_columns(offset=pl.col("size").cum_sum() - pl.col("size"))
    )
    row_starts = instances.select(
        "instance_id", "block", row=pl.int_range(pl.len()).over("block")
    ).join(shapes, on="block", how="left", maintain_order="left")
    # An instance's lines follow each other and each batch starts on an instance's first line,
    # so the k-th run of one instance id in the lines is the k-th instance.
    instance_row = values.get_column("instance_id").rle_id()
    assert instance_row[-1] + 1 == instances.height, "an instance's lines are not consecutive"
    row_start = row_starts.select(pl.col("offset") + pl.col("row") * pl.col("width")).to_series()
    cell = by_id(values.get_column("rubric"), columns["rubric"], columns["cell"].cast(pl.Int64))
    positions = pl.DataFrame(
        {"position": row_start.gather(instance_row) + cell, "value": values.get_column("value")}
    )
    no_cells = pl.Series([None], dtype=pl.String).new_from_index(0, int(shapes["size"].sum()))
    flat = no_cells.scatter(positions["position"], positions["value"])
    instances_by_block = instances.partition_by("block", as_dict=True, include_key=False)
    # Plain Python for the few names: a Polars filter per block cost more than the reshaping,
    # which thousands of small files a night feel.
    rubrics_of: dict[str, list[str]] = {}
    for rubric, block in columns.select(pl.col("rubric", "block").cast(pl.String)).iter_rows():
        rubrics_of.setdefault(block, []).append(rubric)
    tables: dict[str, pl.DataFrame] = {}
    for block, rows, width, offset in shapes.select("block", "rows", "width", "offset").iter_rows():
        cells = flat.slice(offset, rows * width).reshape((rows, width))
        tables[block] = instances_by_block[(block,)].hstack(
            cells.arr.to_struct(fields=rubrics_of[block]).struct.unnest()
        )
    return tables


def _declaration_keys(text: dict[str, pl.DataFrame]) -> pl.DataFrame:
    schema = {"declaration_id": pl.UInt32(), "siren": pl.String(), "siret": pl.String()}
    entreprise = _first_per_declaration(text, ENTREPRISE_BLOCK, "S21.G00.06.001", "siren")
    etablissement = _first_per_declaration(text, ETABLISSEMENT_BLOCK, "S21.G00.11.001", "nic")
    if entreprise is None:
        return pl.DataFrame(schema=schema)
    keys = entreprise
    if etablissement is not None:
        keys = keys.join(etablissement, on="declaration_id", how="left")
    else:
        keys = keys.with_columns(nic=pl.lit(None, pl.String))
    return keys.select("declaration_id", "siren", siret=pl.concat_str("siren", "nic")).cast(schema)  # type: ignore[arg-type]


def _first_per_declaration(
    text: dict[str, pl.DataFrame], block: str, rubric: str, name: str
) -> pl.DataFrame | None:
    table = text.get(block)
    if table is None or rubric not in table.columns:
        return None
    return (
        table.filter(pl.col("declaration_id").is_not_null())
        .group_by("declaration_id", maintain_order=True)
        .agg(pl.col(rubric).first().alias(name))
    )


def _employee_keys(text: dict[str, pl.DataFrame]) -> pl.DataFrame:
    individus = text.get(INDIVIDU_BLOCK)
    if individus is None:
        return pl.DataFrame(schema={"individu_id": pl.UInt32(), "employee_key": pl.String()})
    nir = _column_or_null(individus, "S21.G00.30.001")
    ntt = _column_or_null(individus, "S21.G00.30.020")
    return individus.select(
        individu_id=pl.col("instance_id"),
        employee_key=pl.coalesce(nir, pl.concat_str(pl.lit("NTT:"), ntt)),
    )


def _contract_keys(text: dict[str, pl.DataFrame], employee_keys: pl.DataFrame) -> pl.DataFrame:
    contrats = text.get(CONTRAT_BLOCK)
    if contrats is None:
        return pl.DataFrame(
            schema={"contrat_id": pl.UInt32(), "employment_contract_key": pl.String()}
        )
    return contrats.join(employee_keys, on="individu_id", how="left", maintain_order="left").select(
        contrat_id=pl.col("instance_id"),
        employment_contract_key=pl.concat_str(
            pl.col("employee_key"),
            _column_or_null(contrats, "S21.G00.40.001").fill_null(""),
            _column_or_null(contrats, "S21.G00.40.009").fill_null(""),
            separator="|",
        ),
    )


def _column_or_null(table: pl.DataFrame, rubric: str) -> pl.Expr:
    return pl.col(rubric) if rubric in table.columns else pl.lit(None, pl.String)


def _with_keys(
    block: str,
    table: pl.DataFrame,
    declaration_keys: pl.DataFrame,
    employee_keys: pl.DataFrame,
    contract_keys: pl.DataFrame,
) -> pl.LazyFrame:
    keyed = table.lazy()
    if block.startswith("S21.") or block == DECLARATION_BLOCK:
        keyed = keyed.join(
            declaration_keys.lazy(), on="declaration_id", how="left", maintain_order="left"
        )
    if table.get_column("individu_id").is_not_null().any():
        keyed = keyed.join(
            employee_keys.lazy(), on="individu_id", how="left", maintain_order="left"
        )
    if table.get_column("contrat_id").is_not_null().any():
        keyed = keyed.join(contract_keys.lazy(), on="contrat_id", how="left", maintain_order="left")
    if block == ADHESION_BLOCK:
        keyed = keyed.with_columns(
            oc_contract_key=pl.concat_str(
                *(
                    _column_or_null(table, rubric).fill_null("")
                    for rubric in ("S21.G00.15.002", "S21.G00.15.003", "S21.G00.15.001")
                ),
                separator="|",
            )
        )
    return keyed


def _typed_table(
    block: str, table: pl.LazyFrame, layout: TableLayout, file_id: str
) -> pl.LazyFrame:
    columns = tuple(table.collect_schema().names())
    return table.select(
        pl.lit(file_id, pl.String).alias("file_id"), *layout.typed_selection(block, columns)
    )


def _envoi_norms(text: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """envoi_id, norm: the version each envoi of the batch declares."""
    envois = text.get(ENVOI_BLOCK)
    if envois is None:
        return pl.DataFrame(schema={"envoi_id": pl.UInt32(), "norm": pl.String()})
    return envois.select(
        envoi_id=pl.col("instance_id"), norm=_column_or_null(envois, NORM_RUBRIC).cast(pl.String)
    )


def _declarations(
    text: dict[str, pl.DataFrame],
    norms: pl.DataFrame,
    declaration_keys: pl.DataFrame,
    file_id: str,
) -> pl.DataFrame:
    declarations = text.get(DECLARATION_BLOCK)
    if declarations is None:
        return pl.DataFrame(schema=DECLARATIONS_SCHEMA)

    def rubric(number: str) -> pl.Expr:
        return _column_or_null(declarations, f"{DECLARATION_BLOCK}.{number}")

    return (
        declarations.join(norms, on="envoi_id", how="left", maintain_order="left")
        .join(declaration_keys, on="declaration_id", how="left", maintain_order="left")
        .with_columns(month=rubric("005"), built_on=rubric("007"))
        .select(
            file_id=pl.lit(file_id),
            envoi_id="envoi_id",
            declaration_id="instance_id",
            norm="norm",
            nature=rubric("001"),
            type=rubric("002"),
            fraction=rubric("003"),
            order_number=rubric("004"),
            month=typed("month", pl.Date()),
            replaced_id=rubric("006"),
            built_on=typed("built_on", pl.Date()),
            siren="siren",
            siret="siret",
            status=pl.lit(int(DeclarationStatus.ACCEPTED)),
        )
        .cast(DECLARATIONS_SCHEMA)  # type: ignore[arg-type]
    )
