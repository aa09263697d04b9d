"""A declaration too big for one batch is read in parts cut between its individuals (the
streaming reader past its declaration bound), and reads as the declaration read at once:
tables, diagnostics (each finding once, the declaration's own on its last part) and statuses."""

from __future__ import annotations

import re
from functools import cache

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsn_parser import ParsedFile, parse
from dsn_parser.norm import load_norm
from dsn_parser.reading import ACROSS_INDIVIDUALS
from dsn_parser.tree import INDIVIDU_BLOCK, BlockTree, individual_blocks
from dsn_parser.validation.official import AGGREGATES, RULES
from dsn_parser.validation.rules import Reference, Unique
from tests.dsn_parser.dsn_text import Line, dsn_bytes
from tests.dsn_parser.envoi_parts import (
    FICTIONAL,
    LOT,
    MONTHLY,
    as_bytes,
    batches_of,
    one_envoi,
    put_together,
    with_lines,
)
from tests.dsn_parser.monthly_dsn import individual, monthly, render, replaced
from tests.dsn_parser.same_parse import assert_same_parsed

SAMPLES = {
    "one envoi": as_bytes(one_envoi(MONTHLY[::4])),
    "lot": LOT.read_bytes(),
    "fictional": FICTIONAL.read_bytes(),
    **{path.name: path.read_bytes() for path in MONTHLY[:3]},
}
# Valid NIRs (their key is right): drawn with replacement, so some declarations repeat one.
NIRS = ("2850575116107", "1920169123456", "1750275123456", "2990199123456")
UNKNOWN_ADHESION = "7"
WRONG_SIREN = "123456789"  # its Luhn key is wrong: an error in the declaration's header
RUBRIC = re.compile(r"S\d{2}\.G\d{2}\.\d{2}\.\d{3}")


def _whole(content: bytes) -> ParsedFile:
    [parsed] = parse(content, name="parts.dsn")
    return parsed


@cache
def _sample_at_once(sample: str) -> ParsedFile:
    return _whole(SAMPLES[sample])


def _in_parts(content: bytes, max_declaration_lines: int = 60) -> ParsedFile:
    """The file read with its declarations cut every few individuals."""
    batches = batches_of(
        content, max_lines=1, chunk_bytes=500, max_declaration_lines=max_declaration_lines
    )
    assert with_lines(batches) > 2  # cut in parts
    return put_together(batches)


def _declaration(individuals: list[list[Line]]) -> list[Line]:
    """The monthly sample's envoi and declaration header (its adhésion "1" in the first part)
    with these individuals."""
    lines = monthly()
    first = next(i for i, (rubric, _) in enumerate(lines) if rubric == "S21.G00.30.001")
    return [*lines[:first], *(line for one in individuals for line in one)]


def _employee(number: int, nir: str, adhesion: str = "1") -> list[Line]:
    return individual(nir, f"NOM{number}", "15051985", affiliation="1", adhesion=adhesion)


def _nir(number: int) -> str:
    return f"1850575{116 + number:03d}{101 + number:03d}"


def _employees(count: int) -> list[list[Line]]:
    return [_employee(number, _nir(number)) for number in range(count)]


def _codes(parsed: ParsedFile) -> list[str]:
    return parsed.diagnostics["code"].to_list()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(sorted(SAMPLES)),
    max_declaration_lines=st.integers(1, 400),
    max_lines=st.integers(1, 3_000),
    chunk_bytes=st.integers(200, 20_000),
)
def test_any_cut_between_individuals_of_the_real_samples_reads_as_the_file_at_once(
    sample: str, max_declaration_lines: int, max_lines: int, chunk_bytes: int
) -> None:
    batches = batches_of(
        SAMPLES[sample],
        max_lines=max_lines,
        chunk_bytes=chunk_bytes,
        max_declaration_lines=max_declaration_lines,
    )
    assert_same_parsed([[put_together(batches)]], [[_sample_at_once(sample)]])


@st.composite
def _generated(draw: st.DrawFn) -> bytes:
    """A declaration of a few individuals: some share a NIR, some name an adhésion the
    declaration lacks, one may have a malformed NIR, its header may hold an error."""
    individuals = [
        _employee(
            number,
            draw(st.sampled_from(NIRS)),
            draw(st.sampled_from(["1", "1", UNKNOWN_ADHESION])),
        )
        for number in range(draw(st.integers(2, 7)))
    ]
    if draw(st.booleans()):
        broken = draw(st.integers(0, len(individuals) - 1))
        individuals[broken] = _employee(broken, "NIR-ILLISIBLE")
    lines = _declaration(individuals)
    if draw(st.booleans()):
        lines = replaced(lines, "S21.G00.06.001", WRONG_SIREN)
    return render(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=_generated(),
    max_declaration_lines=st.integers(1, 300),
    chunk_bytes=st.integers(200, 5_000),
)
def test_any_cut_between_individuals_of_a_generated_declaration_reads_as_at_once(
    content: bytes, max_declaration_lines: int, chunk_bytes: int
) -> None:
    batches = batches_of(
        content,
        max_lines=max_declaration_lines,
        chunk_bytes=chunk_bytes,
        max_declaration_lines=max_declaration_lines,
    )
    assert_same_parsed([[put_together(batches)]], [[_whole(content)]])


def test_an_individual_of_a_later_part_finds_the_adhesion_of_the_first_part() -> None:
    content = render(_declaration(_employees(6)))
    in_parts = _in_parts(content)
    assert_same_parsed([[in_parts]], [[_whole(content)]])
    assert not {"S21.G00.70.013/CCH-11", "S21.G00.15.001/CCH-13"} & set(_codes(in_parts))
    assert in_parts.declarations["status"].to_list() == [0]  # a valid declaration


def test_an_adhesion_named_by_a_later_part_only_is_not_reported_unused() -> None:
    employees = [
        *(_employee(number, _nir(number), "9") for number in range(5)),
        _employee(5, _nir(5)),
    ]
    content = render(_declaration(employees))
    in_parts = _in_parts(content)
    assert_same_parsed([[in_parts]], [[_whole(content)]])
    assert "S21.G00.15.001/CCH-13" not in _codes(in_parts)
    assert _codes(in_parts).count("S21.G00.70.013/CCH-11") == 5  # the five naming "9"


def test_a_nir_repeated_across_parts_is_one_duplicate_finding() -> None:
    employees = _employees(6)
    employees[5] = _employee(5, _nir(0))  # the first employee's NIR
    content = render(_declaration(employees))
    in_parts = _in_parts(content)
    assert_same_parsed([[in_parts]], [[_whole(content)]])
    duplicates = in_parts.diagnostics.filter(pl.col("code") == "S21.G00.30.001/CCH-14")
    assert duplicates.height == 1
    last_nir = in_parts.lines.filter(pl.col("rubric") == "S21.G00.30.001")["line"].max()
    assert duplicates["line"].to_list() == [last_nir]


def test_an_error_in_a_later_individual_partially_accepts_the_declaration() -> None:
    employees = _employees(6)
    employees[5] = _employee(5, "NIR-ILLISIBLE")
    content = render(_declaration(employees))
    in_parts = _in_parts(content)
    assert_same_parsed([[in_parts]], [[_whole(content)]])
    assert in_parts.declarations["status"].to_list() == [2]


def test_an_error_in_the_header_rejects_the_declaration_cut_after_it() -> None:
    content = render(replaced(_declaration(_employees(6)), "S21.G00.06.001", WRONG_SIREN))
    in_parts = _in_parts(content)
    assert_same_parsed([[in_parts]], [[_whole(content)]])
    assert in_parts.declarations["status"].to_list() == [3]
    assert _codes(in_parts).count("CSL-SIREN") == 1


def test_a_declaration_without_envoi_reads_in_parts_as_at_once() -> None:
    lines = [line for line in _declaration(_employees(6)) if not line[0].startswith("S10.")]
    content = dsn_bytes(lines)
    in_parts = _in_parts(content)
    assert_same_parsed([[in_parts]], [[_whole(content)]])
    # its first block outside its envoi (STR-ORDER) rejects it, in any part
    assert in_parts.declarations["status"].to_list() == [3]
    assert _codes(in_parts) == ["STR-ORDER"]


def test_the_lines_carried_across_individuals_are_what_the_rules_read_across_them() -> None:
    """What a rule about a declaration or establishment reads of its individuals, and the
    blocks a carried instance's establishment is found through, are carried from part to part
    (reading.ACROSS_INDIVIDUALS)."""
    tree = BlockTree.from_parents(load_norm("P24V01").parent_of)
    individual = individual_blocks(tree)
    across = ("declaration_id", "establishment_id")
    read: dict[str, set[str]] = {}

    def reads(block: str, names: list[str]) -> None:
        rubrics = {name[:14] for name in names if RUBRIC.match(name) and name[:10] == block}
        read.setdefault(block, set()).update(rubrics)

    for aggregate in AGGREGATES:
        if aggregate.of in individual and (
            aggregate.block not in individual or aggregate.key in across
        ):
            reads(aggregate.of, aggregate.agg.meta.root_names())
    for rule in RULES:
        if (
            isinstance(rule, Reference)
            and rule.target[:10] in individual
            and (rule.block not in individual or rule.within in across)
        ):
            reads(rule.target[:10], [rule.target, *rule.target_when.meta.root_names()])
        if isinstance(rule, Unique) and rule.block in individual and rule.within in across:
            reads(rule.block, [*rule.keys, *rule.when.meta.root_names()])
    assert read  # the rule table reads across individuals
    for block, rubrics in read.items():
        assert rubrics <= set(ACROSS_INDIVIDUALS[block]), block
        up = block
        while up != INDIVIDU_BLOCK:
            up = tree.parent_of[up] or INDIVIDU_BLOCK
            assert up in ACROSS_INDIVIDUALS, (block, up)
