"""Rubric and block ids (model.ID_TYPE) and the per-id lookup the reader relies on."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from dsn_parser.model import ID_TYPE, by_id

_IDS = st.sampled_from(["S21.G00.30", "S21.G00.40", "S10.G00.00", "S99.G99.99", None])


@given(
    ids=st.lists(_IDS, max_size=30),
    mapping=st.dictionaries(_IDS.filter(lambda key: key is not None), st.integers(0, 9)),
)
def test_by_id_gives_each_row_the_value_of_its_id(
    ids: list[str | None], mapping: dict[str, int]
) -> None:
    looked_up = by_id(
        pl.Series(ids, dtype=pl.String).cast(ID_TYPE),
        pl.Series(list(mapping), dtype=pl.String),
        pl.Series(list(mapping.values()), dtype=pl.Int64),
    )
    assert looked_up.to_list() == [mapping.get(key) if key else None for key in ids]
