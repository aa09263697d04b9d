"""parse_many reads many files in one pass with the same result as parse, file by file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsn_parser import ParsedFile, batch, parse, parse_many
from dsn_parser.model import DeclarationStatus
from dsn_parser.validation import base_period, official
from dsn_parser.validation.context import Context
from tests.dsn_parser.batch_mix import (
    P24_SAMPLE,
    P26_ONLY_RUBRIC,
    accepted,
    bad_envelope,
    base_before_contract,
    in_lot,
    p26_with_new_rubric,
    with_norm,
    write_pool,
)
from tests.dsn_parser.same_parse import assert_same_parsed


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[ParsedFile]]:
    """Each file of the mix pool with what parse gives for it (read-only for the tests)."""
    return {path: parse(path) for path in write_pool(tmp_path_factory.mktemp("pool"))}


def test_the_whole_pool_in_one_call(pool: dict[Path, list[ParsedFile]]) -> None:
    """Every file of the pool meets every other in a batch, in both orders."""
    mix = [*pool, *reversed(pool)]
    assert_same_parsed(parse_many(mix), [pool[path] for path in mix])


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_parse_many_gives_what_parse_gives_file_by_file(
    pool: dict[Path, list[ParsedFile]], data: st.DataObject
) -> None:
    mix = data.draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=25))
    assert_same_parsed(parse_many(mix), [pool[path] for path in mix])


def test_each_norm_version_keeps_its_own_columns_in_one_call(tmp_path: Path) -> None:
    p25, p26 = tmp_path / "p25.dsn", tmp_path / "p26.dsn"
    p25.write_bytes(with_norm(P24_SAMPLE.read_bytes(), "P25V01"))
    p26.write_bytes(p26_with_new_rubric())

    read_p25, read_p26 = (files[0] for files in parse_many([p25, p26]))

    assert read_p26.norm == "P26V01"
    individuals = read_p26.blocks["S21.G00.30"]
    assert individuals.get_column(P26_ONLY_RUBRIC).drop_nulls().to_list() == ["1"]
    assert P26_ONLY_RUBRIC not in read_p25.blocks["S21.G00.30"].columns
    assert_same_parsed([[read_p25], [read_p26]], [parse(p25), parse(p26)])


def test_a_malformed_file_after_a_good_one_does_not_join_its_envoi(tmp_path: Path) -> None:
    good, headless = tmp_path / "good.dsn", tmp_path / "headless.dsn"
    text = P24_SAMPLE.read_bytes()
    good.write_bytes(text)
    # The declarations of an envoi whose S10 block is missing: nothing to hang them on.
    headless.write_bytes(b"\n".join(text.split(b"\n")[8:]))

    read_good, read_headless = (files[0] for files in parse_many([good, headless]))

    assert read_good.declarations.height == 1
    assert read_good.lines.height == len(text.splitlines())
    assert read_headless.lines.get_column("envoi_id").null_count() == read_headless.lines.height
    assert read_headless.lines.get_column("line").to_list()[0] == 1
    assert_same_parsed([[read_good], [read_headless]], [parse(good), parse(headless)])


def test_the_line_numbers_in_messages_are_each_file_own(tmp_path: Path) -> None:
    text = P24_SAMPLE.read_bytes()
    no_totals = b"\n".join(line for line in text.split(b"\n") if not line.startswith(b"S90."))
    paths = [tmp_path / f"{index}.dsn" for index in range(3)]
    for path in paths:
        path.write_bytes(no_totals)

    messages = [
        files[0].diagnostics.filter(code="STR-ENVOI-INCOMPLETE")["message"].to_list()
        for files in parse_many(paths)
    ]

    assert messages == [messages[0]] * 3
    assert "commencé ligne 1 " in messages[0][0]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_small_batch_bounds_change_nothing(
    pool: dict[Path, list[ParsedFile]], monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    """A group cut into several batches, and files past the size bound read alone."""
    monkeypatch.setattr(batch, "MAX_BATCH_FILES", 3)
    monkeypatch.setattr(batch, "MAX_BATCH_BYTES", 20_000)
    monkeypatch.setattr(batch, "MAX_GROUPED_FILE_BYTES", 8_000)
    mix = data.draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=20))
    assert_same_parsed(parse_many(mix), [pool[path] for path in mix])


def test_a_finding_outside_the_envois_marks_its_own_file_only(tmp_path: Path) -> None:
    clean, damaged = tmp_path / "clean.dsn", tmp_path / "damaged.dsn"
    clean.write_bytes(in_lot([accepted()]))
    damaged.write_bytes(bad_envelope(in_lot([accepted()])))

    read_clean, read_damaged = (files[0] for files in parse_many([clean, damaged]))

    assert read_clean.declarations["status"].to_list() == [DeclarationStatus.ACCEPTED]
    assert read_damaged.declarations["status"].to_list() == [
        DeclarationStatus.ACCEPTED_WITH_ANOMALIES
    ]
    assert_same_parsed([[read_clean], [read_damaged]], [parse(clean), parse(damaged)])


def test_a_control_chaining_blocks_finds_in_one_pass_what_it_finds_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S21.G00.78.003/SIG-17 joins bases, affiliations and contracts by individual: read with
    other files, one file's late contract is neither lost nor lent to the others' employees."""
    late, good = tmp_path / "late.dsn", tmp_path / "good.dsn"
    late.write_bytes(base_before_contract())
    good.write_bytes(accepted())
    in_one_pass = []

    def spied(ctx: Context) -> list[pl.LazyFrame]:
        found = base_period.check(ctx)
        in_one_pass.append(ctx.file_starts is not None and bool(found))
        return found

    monkeypatch.setitem(official.IN_CODE, base_period.CONTROL_ID, spied)
    mix = [good, late, good, late]
    read_together = parse_many(mix)

    assert any(in_one_pass)
    found = [
        files[0].diagnostics.filter(code=base_period.CONTROL_ID)["line"].to_list()
        for files in read_together
    ]
    assert found == [[], found[1], [], found[1]]
    assert len(found[1]) == 1
    assert [files[0].declarations["status"].to_list() for files in read_together] == [
        [DeclarationStatus.ACCEPTED],
        [DeclarationStatus.ACCEPTED_WITH_ANOMALIES],
    ] * 2
    assert_same_parsed(read_together, [parse(path) for path in mix])
