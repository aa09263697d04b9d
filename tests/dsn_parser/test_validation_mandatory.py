"""Mandatory rubrics against a plain reference: whatever lines a declaration loses, the
validator reports exactly the (block instance, rubric) pairs the usage table requires and the
file lacks. The validator counts and matches only the instances short of rubrics; this
reference compares whole sets, instance by instance."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dsn_parser.model import ParsedFile
from dsn_parser.norm import load_norm
from tests.dsn_parser.monthly_dsn import monthly, replaced, validated

NATURES = ("01", "04", "05", "07")


def required_and_absent(parsed: ParsedFile, nature: str) -> set[tuple[int, str]]:
    """(instance's first line, rubric) for every usage-O rubric its instance does not declare."""
    usage = load_norm("P24V01").rubrics.select("block", "rubric", usage=f"usage_{nature}")
    required: dict[str, set[str]] = {}
    for block, rubric, flag in usage.iter_rows():
        if flag == "O":
            required.setdefault(block, set()).add(rubric)
    declared: dict[tuple[int, str], set[str]] = {}
    for instance, block, rubric in (
        parsed.lines.filter(pl.col("instance_id").is_not_null())
        .select("instance_id", "block", "rubric")
        .iter_rows()
    ):
        declared.setdefault((instance, block), set()).add(rubric)
    return {
        (instance, rubric)
        for (instance, block), rubrics in declared.items()
        for rubric in required.get(block, set()) - rubrics
    }


@settings(max_examples=40, deadline=None)
@given(data=st.data(), nature=st.sampled_from(NATURES))
def test_missing_mandatory_rubrics_are_exactly_the_required_ones_absent(
    data: st.DataObject, nature: str
) -> None:
    lines = replaced(monthly(), "S20.G00.05.001", nature)
    # The envoi header (S10) and the declaration's nature stay: the rest may go, any of it.
    first_deletable = 1 + next(i for i, (rubric, _) in enumerate(lines) if rubric.startswith("S20"))
    dropped = data.draw(
        st.sets(st.integers(first_deletable, len(lines) - 1), max_size=12), label="dropped"
    )
    kept = [line for position, line in enumerate(lines) if position not in dropped]
    parsed = validated(kept)
    reported = {
        (finding["line"], finding["rubric"])
        for finding in parsed.diagnostics.filter(pl.col("code") == "STR-MANDATORY").to_dicts()
    }
    assert reported == required_and_absent(parsed, nature)
