"""What a portal table is: one declaration per table (name, columns with French comments, the SQL
that reads it from the warehouse, its key and its quality expectations), a `warehouse.schema.Table`
of schema `portal_v1` with what publishing it needs.

Adding a table when a domain lands is one `TableSpec` in `serving.tables`. A table
whose warehouse sources do not exist yet (`requires`) is still published, empty, so the contract
the portal reads never depends on which domains a deployment runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from warehouse.schema import Column, Table

__all__ = [
    "NIGHT_ID_COLUMN",
    "NIGHT_ID_COMMENT",
    "NIGHT_ID_VARIABLE",
    "SCHEMA",
    "Column",
    "Expectation",
    "GateResult",
    "TableSpec",
]

# The schema of the serving file the portal reads: the contract's name and version.
SCHEMA = "portal_v1"
NIGHT_ID_COLUMN = "night_id"
NIGHT_ID_COMMENT = "Identifiant de la publication (nuit) qui a produit cette ligne."
# Tonight's night id while the candidate is built, for a table's SQL that shows it elsewhere than
# in NIGHT_ID_COLUMN: `getvariable('publication_night_id')`.
NIGHT_ID_VARIABLE = "publication_night_id"


@dataclass(frozen=True)
class Expectation:
    """A GX expectation class name and its arguments, kept as data so that this module does not
    import Great Expectations (2 s or more); `blocking` failures stop the publication."""

    kind: str  # e.g. "ExpectColumnValuesToNotBeNull"
    arguments: dict[str, Any]
    blocking: bool = True


def columns_label(arguments: Mapping[str, Any]) -> str | None:
    """The columns an expectation of these arguments reads, as the gates' results name them."""
    if arguments.get("column"):
        return str(arguments["column"])
    if arguments.get("column_list"):
        return ", ".join(arguments["column_list"])
    if "column_A" in arguments:
        return f"{arguments['column_B']} ≤ {arguments['column_A']}"
    return None


@dataclass(frozen=True)
class GateResult:
    """One expectation judged on one table of a candidate."""

    table: str
    expectation: str  # GX expectation type, e.g. expect_column_values_to_not_be_null
    column: str | None
    blocking: bool
    passed: bool
    unexpected_count: int | None
    observed: str | None

    @property
    def label(self) -> str:
        where = f" ({self.column})" if self.column else ""
        return f"{self.table} : {self.expectation}{where}"

    @property
    def failure(self) -> str:
        """French, one failed expectation as the refusal reason and the Dagster check state it."""
        return (
            self.label
            + (f" : {self.unexpected_count} ligne(s) en défaut" if self.unexpected_count else "")
            + (f" (observé : {self.observed})" if self.observed is not None else "")
        )


@dataclass(frozen=True, kw_only=True)
class TableSpec(Table):
    schema: str = field(default=SCHEMA, kw_only=True)
    # `key`: unique and not null, checked before every publication.
    sql: str | None  # SELECT producing exactly `columns`; None: the domain is not built yet
    requires: tuple[str, ...] = ()  # warehouse relations (schema.table) the SQL reads
    expectations: tuple[Expectation, ...] = ()
    # Extra columns computed only for the checks (e.g. an identity that must be zero).
    check_columns: dict[str, str] = field(default_factory=dict)
    month_column: str | None = None  # partitions the analyst export by month, when set

    def all_expectations(self) -> tuple[Expectation, ...]:
        """The key's expectations (unique, not null), then the table's own."""
        keys = [Expectation("ExpectColumnValuesToNotBeNull", {"column": k}) for k in self.key]
        unique = (
            [Expectation("ExpectCompoundColumnsToBeUnique", {"column_list": list(self.key)})]
            if len(self.key) > 1
            else [Expectation("ExpectColumnValuesToBeUnique", {"column": k}) for k in self.key]
        )
        return (*keys, *unique, *self.expectations)


def in_set(column: str, values: list[str], blocking: bool = True) -> Expectation:
    return Expectation(
        "ExpectColumnValuesToBeInSet", {"column": column, "value_set": values}, blocking
    )


def ordered(before: str, after: str, blocking: bool = True) -> Expectation:
    """`before` <= `after` wherever both are known."""
    return Expectation(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": after,
            "column_B": before,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        blocking,
    )


def zero(column: str) -> Expectation:
    """A check column that must be exactly 0 (an accounting identity)."""
    return Expectation(
        "ExpectColumnValuesToBeBetween", {"column": column, "min_value": 0, "max_value": 0}
    )
