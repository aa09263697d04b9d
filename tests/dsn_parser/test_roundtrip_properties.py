"""Properties: valid trees written as DSN text read back identical; any bytes give a result."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dsn_parser import parse, read
from tests.dsn_parser.dsn_text import dsn_bytes, envoi

# Printable Latin-1, apostrophes and commas included; no line breaks (the format has none).
_LATIN1 = st.characters(codec="latin-1", exclude_categories=["Cc"])
VALUES = st.text(_LATIN1, min_size=1, max_size=30)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Node:
    """One block instance to write: its (rubric, value) lines and its children, in order."""

    block: str
    values: list[str]
    children: list[Node] = field(default_factory=list)

    def lines(self) -> list[tuple[str, str]]:
        # Rubric numbers 001, 002 ... so consecutive instances of a block never merge.
        own = [(f"{self.block}.{number:03d}", value) for number, value in enumerate(self.values, 1)]
        return own + [line for child in self.children for line in child.lines()]


def _nodes(block: str, children: st.SearchStrategy[list[Node]], width: int = 3):
    return st.builds(Node, st.just(block), st.lists(VALUES, min_size=1, max_size=width), children)


_affiliations = st.lists(_nodes("S21.G00.70", st.just([])), max_size=2)
_contrats = st.lists(_nodes("S21.G00.40", _affiliations), min_size=1, max_size=2)
_individus = st.lists(_nodes("S21.G00.30", _contrats), max_size=3)
_adhesions = st.lists(_nodes("S21.G00.15", st.just([])), max_size=2)


@st.composite
def _declarations(draw: st.DrawFn) -> Node:
    establishment_children = draw(_adhesions) + draw(_individus)
    etablissement = Node("S21.G00.11", draw(st.lists(VALUES, min_size=1, max_size=2)))
    etablissement.children = establishment_children
    entreprise = Node("S21.G00.06", draw(st.lists(VALUES, min_size=1, max_size=2)))
    entreprise.children = [etablissement]
    return Node("S20.G00.05", ["01", "01", "11"], [entreprise])


def _expected_parents(nodes: list[Node], first_line: int) -> list[tuple[str, int, int | None]]:
    """(block, instance id, parent id) of every instance, ids being first line numbers.

    The declarations' parent is the envoi (S10.G00.00, line 1), as the norm's tree says.
    """
    found: list[tuple[str, int, int | None]] = []

    def walk(node: Node, line: int, parent: int | None) -> int:
        found.append((node.block, line, parent))
        next_line = line + len(node.values)
        for child in node.children:
            next_line = walk(child, next_line, line)
        return next_line

    line = first_line
    for node in nodes:
        line = walk(node, line, 1)
    return found


def _valid_utf8_beyond_ascii(content: bytes) -> bool:
    try:
        return not content.isascii() and bool(content.decode("utf-8"))
    except UnicodeDecodeError:
        return False


@SETTINGS
@given(
    declarations=st.lists(_declarations(), min_size=1, max_size=3),
    encoding=st.sampled_from(["iso-8859-1", "utf-8", "cp1252"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    chunk_bytes=st.sampled_from([1 << 20, 256]),
)
def test_written_tree_reads_back_identical(
    declarations: list[Node], encoding: str, newline: str, chunk_bytes: int
) -> None:
    lines = envoi([declaration.lines() for declaration in declarations])
    content = dsn_bytes(lines, encoding=encoding, newline=newline)
    # Single-byte text whose bytes happen to be valid UTF-8 (Latin-1 'Â' + NBSP is the bytes of
    # UTF-8 NBSP) is read as UTF-8, as the decoder's policy says: it cannot be told apart.
    assume(encoding == "utf-8" or not _valid_utf8_beyond_ascii(content))
    [parsed] = read(content, chunk_bytes=chunk_bytes)
    assert parsed.lines.select("rubric", "value").rows() == lines
    header_lines = lines.index(("S20.G00.05.001", "01"))
    expected = _expected_parents(declarations, first_line=header_lines + 1)
    got = [
        (block, instance, parent)
        for block, table in parsed.blocks.items()
        if block.startswith(("S20", "S21"))
        for instance, parent in table.select("instance_id", "parent_id").iter_rows()
    ]
    assert sorted(got) == sorted(expected)
    for block, table in parsed.blocks.items():
        if block.startswith("S21.G00.30"):
            written = [node.values[:2] for d in declarations for node in _all(d, block)]
            assert table.select("S21.G00.30.001", "S21.G00.30.002").rows() == [
                tuple(values + [None] * (2 - len(values))) for values in written
            ]


def _all(node: Node, block: str) -> list[Node]:
    own = [node] if node.block == block else []
    return own + [found for child in node.children for found in _all(child, block)]


@SETTINGS
@given(st.binary(max_size=400))
# Found by Hypothesis: bytes starting like a zlib stream made Polars' CSV reader decompress them
# and raise "corrupt deflate stream"; gzip and zstd starts likewise.
@example(b"x\x01\x06\x00")
@example(b"\x1f\x8b\x08\x00abc")
@example(b"(\xb5/\xfd\x00")
def test_arbitrary_bytes_never_raise(content: bytes) -> None:
    for parsed in parse(content, name="hasard.dsn"):
        lines = parsed.lines
        if parsed.encoding:
            assert lines.height == len(lines["line"].unique())
        kept = lines.filter(pl.col("rubric").is_null() & pl.col("raw").is_null())
        assert kept.is_empty()  # every line has either a rubric or its raw text
        if parsed.declarations.is_empty():
            assert parsed.rejected and not parsed.diagnostics.is_empty()


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            [
                b"S21.G00.30.001,'",
                b"'",
                b",",
                b"\r\n",
                b"\n",
                b"\xe9",
                b"S10.G00.00.001,'X'\n",
                b"S20.G00.05.001,'01'\n",
                b"\xef\xbf\xbd",
                b"S90.G00.90.001,'3'\n",
                b"PK\x03\x04",
                b"\x1f\x8b",
            ]
        ),
        max_size=30,
    )
)
def test_dsn_like_garbage_never_raises(pieces: list[bytes]) -> None:
    for parsed in parse(b"".join(pieces)):
        assert parsed.lines.height >= 0
