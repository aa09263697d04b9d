"""The block tree from line order (cahier technique §3.2), across batches and envelopes."""

from __future__ import annotations

import polars as pl
import pytest

from dsn_parser import read, reading
from tests.dsn_parser.dsn_text import declaration, dsn_bytes, envoi


def _instances(parsed, block: str) -> list[tuple[int, int | None]]:
    table = parsed.blocks[block]
    return list(zip(table["instance_id"].to_list(), table["parent_id"].to_list(), strict=True))


def _line_of(lines: list[tuple[str, str]], rubric: str, value: str) -> int:
    return lines.index((rubric, value)) + 1


INDIVIDU_1 = [("S21.G00.30.001", "1850575000001"), ("S21.G00.30.002", "UN")]
INDIVIDU_2 = [("S21.G00.30.001", "2900675000002"), ("S21.G00.30.002", "DEUX")]


def _contrat(number: str) -> list[tuple[str, str]]:
    return [("S21.G00.40.001", "01012024"), ("S21.G00.40.009", number)]


def test_contracts_belong_to_the_last_individual_above_them() -> None:
    # The cahier technique's own example: contracts 1 and 2 -> individual 1, contract 3 -> 2.
    body = declaration() + INDIVIDU_1 + _contrat("C1") + _contrat("C2") + INDIVIDU_2
    lines = envoi([body + _contrat("C3")])
    [parsed] = read(dsn_bytes(lines))
    first = _line_of(lines, "S21.G00.30.002", "UN") - 1
    second = _line_of(lines, "S21.G00.30.002", "DEUX") - 1
    contracts = parsed.blocks["S21.G00.40"]
    assert contracts["parent_id"].to_list() == [first, first, second]
    assert contracts["S21.G00.40.009"].to_list() == ["C1", "C2", "C3"]


def test_a_repeated_or_lower_rubric_number_starts_a_new_instance() -> None:
    body = [
        *declaration(),
        ("S21.G00.15.001", "A"),
        ("S21.G00.15.002", "P1020"),
        ("S21.G00.15.001", "B"),  # repeat -> new adhésion
        ("S21.G00.15.004", "01"),
        ("S21.G00.15.002", "P2000"),  # goes down -> new adhésion
    ]
    [parsed] = read(dsn_bytes(envoi([body])))
    adhesions = parsed.blocks["S21.G00.15"]
    assert adhesions.select("S21.G00.15.001", "S21.G00.15.002", "S21.G00.15.004").rows() == [
        ("A", "P1020", None),
        ("B", None, "01"),
        (None, "P2000", None),
    ]


def test_an_instance_is_closed_when_a_block_at_its_level_or_above_starts() -> None:
    # A contract right after a new establishment has no open individual: null parent, kept.
    body = declaration() + INDIVIDU_1 + [("S21.G00.15.001", "ADH")] + _contrat("ORPHELIN")
    [parsed] = read(dsn_bytes(envoi([body])))
    assert parsed.blocks["S21.G00.40"]["parent_id"].to_list() == [None]
    assert parsed.blocks["S21.G00.40"]["S21.G00.40.009"].to_list() == ["ORPHELIN"]


def test_envoi_and_declaration_ids_and_declaration_parents() -> None:
    lines = envoi([declaration(nic="00013"), declaration(nic="00021")])
    [parsed] = read(dsn_bytes(lines))
    declarations = parsed.declarations
    assert declarations["envoi_id"].to_list() == [1, 1]
    assert declarations["siret"].to_list() == ["12345678200013", "12345678200021"]
    by_line = parsed.lines
    s90 = by_line.filter(pl.col("block") == "S90.G00.90")
    assert s90["declaration_id"].to_list() == [None, None]
    assert s90["envoi_id"].to_list() == [1, 1]
    etablissements = parsed.blocks["S21.G00.11"]
    entreprises = parsed.blocks["S21.G00.06"]
    assert etablissements["parent_id"].to_list() == entreprises["instance_id"].to_list()
    assert entreprises["parent_id"].to_list() == declarations["declaration_id"].to_list()


def test_lot_envelope_is_its_own_tree_around_the_envois() -> None:
    lot = [("S05.G51.00.001", "V01R02"), ("S06.G51.00.001", "DSNOK")]
    envois = envoi([declaration()]) + envoi([declaration(nic="00021")])
    trailer = [("S96.G51.00.001", "FINSL"), ("S95.G51.00.001", "LOT1")]
    lines = lot + envois + trailer
    for chunk_bytes in (1 << 20, 64):  # one batch, then a batch per envoi
        [parsed] = read(dsn_bytes(lines), chunk_bytes=chunk_bytes)
        assert _instances(parsed, "S06.G51.00") == [(2, 1)]
        assert _instances(parsed, "S96.G51.00") == [(len(lines) - 1, 2)]
        assert _instances(parsed, "S95.G51.00") == [(len(lines), 1)]
        assert parsed.blocks["S96.G51.00"]["envoi_id"].to_list() == [None]
        assert parsed.declarations["envoi_id"].to_list() == [3, 3 + len(envois) // 2]


def test_malformed_lines_neither_break_nor_join_an_instance() -> None:
    text = dsn_bytes(envoi([declaration() + INDIVIDU_1]))
    broken = text.replace(b"S21.G00.30.002,'UN'\n", b"S21.G00.30.0XX,UN\nS21.G00.30.002,'UN'\n")
    [parsed] = read(broken)
    individus = parsed.blocks["S21.G00.30"]
    assert individus.select("S21.G00.30.001", "S21.G00.30.002").rows() == [("1850575000001", "UN")]
    bad = parsed.lines.filter(pl.col("rubric").is_null())
    assert bad.select("raw", "instance_id", "declaration_id").rows() == [
        ("S21.G00.30.0XX,UN", None, parsed.declarations["declaration_id"][0])
    ]


def test_batches_give_the_same_result_as_one_read() -> None:
    body = declaration() + INDIVIDU_1 + _contrat("C1") + INDIVIDU_2 + _contrat("C2")
    lot = [("S05.G51.00.001", "V01R02"), ("S06.G51.00.001", "DSNOK")]
    trailer = [("S96.G51.00.001", "FINSL"), ("S95.G51.00.001", "LOT1")]
    envois = envoi([body, declaration(nic="00021")]) + envoi([body]) + envoi([body])
    content = dsn_bytes(lot + envois + trailer)
    [whole] = read(content)
    [small] = read(content, chunk_bytes=100)
    envelope = whole.lines.filter(pl.col("block").cast(pl.String).str.contains("G51"))
    assert envelope["envoi_id"].null_count() == envelope.height
    assert whole.lines.equals(small.lines)
    assert whole.blocks.keys() == small.blocks.keys()
    for block, table in whole.blocks.items():
        assert table.equals(small.blocks[block]), block


def test_an_envoi_larger_than_a_batch_is_cut_between_individuals_and_keeps_its_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = declaration() + INDIVIDU_1 + _contrat("C1") + _contrat("C2") + INDIVIDU_2
    lines = envoi([body + _contrat("C3") + [("S21.G00.70.012", "1")]])
    content = dsn_bytes(lines)
    [whole] = read(content)
    # Big enough for the declaration's head and the first individual, not for the second: a
    # declaration past its own bound is cut between individuals.
    bound = _line_of(lines, "S21.G00.30.002", "DEUX") - 2
    monkeypatch.setattr(reading, "MAX_BATCH_LINES", bound)
    monkeypatch.setattr(reading, "MAX_DECLARATION_LINES", bound)
    [cut] = read(content, chunk_bytes=40)
    assert whole.lines.equals(cut.lines)
    for block, table in whole.blocks.items():
        assert table.equals(cut.blocks[block]), block
    affiliation = cut.blocks["S21.G00.70"].row(0, named=True)
    assert affiliation["employment_contract_key"] == "2900675000002|01012024|C3"
    assert affiliation["siret"] == "12345678200013"
