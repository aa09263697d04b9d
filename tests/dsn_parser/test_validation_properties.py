"""Properties of validation on arbitrary DSN-like text: it never raises, every unreadable line
gets a diagnostic, statuses stay in 0-3, and personal values never reach a message."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsn_parser import parse
from tests.dsn_parser.monthly_dsn import monthly

# Values that would identify a person: 13-digit NIR-like strings and names in an alphabet no
# French label or code uses, so finding one in a message can only be a leak.
nirs = st.text(alphabet="0123456789", min_size=11, max_size=16)
names = st.text(alphabet="QXZW", min_size=8, max_size=12)
other_values = st.text(alphabet=st.characters(codec="latin-1"), max_size=12)
baseline = monthly()


@st.composite
def dsn_lines(draw: st.DrawFn) -> tuple[list[str], set[str]]:
    """Lines of the conformant baseline, some dropped, replaced by garbage or personal values,
    or with their value changed; returns the lines and the personal values used."""
    personal: set[str] = set()
    shown_in_clear: set[str] = set()
    lines: list[str] = []
    for rubric, value in baseline:
        action = draw(st.sampled_from(["keep"] * 6 + ["drop", "garbage", "unquote", "value"]))
        if rubric in ("S21.G00.30.001", "S21.G00.31.008"):
            value = draw(nirs)
            personal.add(value)
        elif rubric in ("S21.G00.30.002", "S21.G00.30.004"):
            value = draw(names)
            personal.add(value)
        if action == "drop":
            continue
        if action == "garbage":
            lines.append(draw(st.text(alphabet=st.characters(codec="latin-1"), max_size=40)))
        elif action == "unquote":
            lines.append(f"{rubric},{value}")
        elif action == "value" and rubric not in ("S21.G00.30.001", "S21.G00.30.002"):
            clear = draw(other_values)
            shown_in_clear.add(clear)
            lines.append(f"{rubric},'{clear}'")
        else:
            lines.append(f"{rubric},'{value}'")
    # A value drawn again for a rubric that is not personal may rightly appear in a message.
    return lines, personal - shown_in_clear


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dsn_lines())
def test_validation_of_damaged_files_is_total_and_masks_personal_values(
    drawn: tuple[list[str], set[str]],
) -> None:
    lines, personal = drawn
    text = "\r\n".join(line.replace("\r", "").replace("\n", "") for line in lines)
    [parsed] = parse(text.encode("utf-8"))
    diagnostics = parsed.diagnostics
    assert set(diagnostics["severity"]) <= {"error", "warning"}
    assert parsed.declarations["status"].is_in([0, 1, 2, 3]).all()
    unreadable = parsed.lines.filter(pl.col("value").is_null())["line"]
    assert set(unreadable) <= set(diagnostics["line"].drop_nulls())
    for value in personal:
        assert not diagnostics["message"].str.contains(value, literal=True).any()
