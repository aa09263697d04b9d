"""The French labels of the DSN codes the portal shows (categories, contract natures, end
reasons, stoppage reasons…), from the latest norm's code lists (`dsn_parser.norm`), so that a
portal shows « 01 – cadre » without a code list of its own. Made available to the snapshot's
queries as the relation `dsn_code_labels (rubric, code, label)`."""

from __future__ import annotations

import duckdb
import polars as pl

from dsn_parser.norm import resolve_norm

RELATION = "dsn_code_labels"


def code_labels() -> pl.DataFrame:
    codes = resolve_norm(None)[0].codes
    return codes.select("rubric", "code", "label").unique(subset=["rubric", "code"], keep="first")


def register_code_labels(connection: duckdb.DuckDBPyConnection) -> None:
    connection.register(RELATION, code_labels().to_arrow())


def label_of(rubric: str, column: str) -> str:
    """SQL: the label of `column`'s code in the code list of `rubric` (NULL when none)."""
    return (
        f"(SELECT l.label FROM {RELATION} AS l WHERE l.rubric = '{rubric}' AND l.code = {column})"
    )
