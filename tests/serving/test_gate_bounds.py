"""The row-count gates: a table losing more than half its rows blocks; one more than tripling is
only a warning."""

from __future__ import annotations

from serving.gates import row_count_bounds


def test_a_table_published_for_the_first_time_has_no_row_count_gate() -> None:
    assert row_count_bounds(None) == ()


def test_losing_half_the_rows_blocks_and_tripling_warns() -> None:
    drop, growth = row_count_bounds(101)
    assert (drop.arguments, drop.blocking) == ({"min_value": 50}, True)
    assert (growth.arguments, growth.blocking) == ({"max_value": 313}, False)


def test_an_empty_table_may_get_a_few_rows_without_a_warning() -> None:
    drop, growth = row_count_bounds(0)
    assert drop.arguments == {"min_value": 0}
    assert growth.arguments == {"max_value": 10}
