"""Decoding: containers, encodings and line endings, as the insurer receives files."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dsn_parser import decoding, parse, read
from dsn_parser.decoding import expand_source, utf8_line_chunks
from tests.dsn_parser.dsn_text import declaration, dsn_bytes, envoi

NAMES = [("S21.G00.30.002", "D'ARTAGNAN"), ("S21.G00.30.004", "HÉLÈNE, ZOÉ")]


def _values(parsed) -> list[str]:
    return parsed.lines.drop_nulls("rubric")["value"].to_list()


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("S21.G00.30.002,'DUPONT'\n", "ascii", "iso-8859-1"),
        ("S21.G00.30.002,'HÉLÈNE'\n", "iso-8859-1", "iso-8859-1"),
        ("S21.G00.30.002,'HÉLÈNE'\n", "utf-8", "utf-8"),
        ("S21.G00.30.002,'HÉLÈNE'\n", "utf-8-sig", "utf-8-sig"),
        ("S21.G00.30.002,'L’ÉCOLE – 5 €'\n", "cp1252", "cp1252"),
    ],
)
def test_encoding_is_detected_recorded_and_decoded(text: str, encoding: str, expected: str) -> None:
    [parsed] = read(text.encode(encoding))
    assert parsed.encoding == expected
    assert _values(parsed) == [text.split(",'", 1)[1].rstrip("\n")[:-1]]
    assert parsed.lines["line"].to_list() == [1]


def test_c1_byte_undefined_in_cp1252_falls_back_to_latin1() -> None:
    [parsed] = read(b"S21.G00.30.002,'A\x81B'\n")
    assert parsed.encoding == "iso-8859-1"
    assert _values(parsed) == ["A\x81B"]


def test_crlf_and_lf_give_the_same_values_and_line_numbers() -> None:
    lines = envoi([declaration() + NAMES])
    [lf] = read(dsn_bytes(lines, newline="\n"))
    [crlf] = read(dsn_bytes(lines, newline="\r\n"))
    assert _values(lf) == _values(crlf) == [value for _, value in lines]
    assert lf.lines["line"].to_list() == crlf.lines["line"].to_list()


def test_file_identity_is_the_sha256_of_the_decompressed_bytes(tmp_path: Path) -> None:
    content = dsn_bytes(envoi([declaration() + NAMES]))
    path = tmp_path / "envoi.dsn.gz"
    path.write_bytes(gzip.compress(content))
    [parsed] = read(path)
    assert parsed.file_id == hashlib.sha256(content).hexdigest()
    assert parsed.size == len(content)
    assert parsed.source == str(path)
    assert "D'ARTAGNAN" in _values(parsed)


def test_a_zip_gives_one_file_per_member_named_after_it(tmp_path: Path) -> None:
    first = dsn_bytes(envoi([declaration(nic="00013")]))
    second = dsn_bytes(envoi([declaration(nic="00021")]), encoding="utf-8")
    path = tmp_path / "lot.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.dsn", first)
        archive.writestr("sub/b.dsn", second)
    parsed = read(path)
    assert [file.source for file in parsed] == [f"{path}!a.dsn", f"{path}!sub/b.dsn"]
    assert [file.declarations["siret"].to_list() for file in parsed] == [
        ["12345678200013"],
        ["12345678200021"],
    ]


def test_zip_given_as_bytes_with_a_name() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("m.dsn", dsn_bytes(envoi([declaration()])))
    [parsed] = read(buffer.getvalue(), name="depot.zip")
    assert parsed.source == "depot.zip!m.dsn"
    assert parsed.declarations.height == 1


@pytest.mark.parametrize(
    "payload",
    [
        # mtime=0: parameters must be identical in every pytest-xdist worker
        gzip.compress(b"S10.G00.00.001,'X'\n" * 100, mtime=0)[:-30],  # truncated gzip
        b"PK\x03\x04" + b"\x00" * 40,  # zip magic, no directory
    ],
    ids=["truncated-gzip", "zip-without-directory"],
)
def test_corrupt_archive_is_an_unreadable_file_not_an_exception(payload: bytes) -> None:
    [parsed] = read(payload, name="broken")
    assert parsed.lines.is_empty()
    assert parsed.diagnostics["code"].to_list() == ["FILE-UNREADABLE"]
    assert parsed.rejected


def test_transcoding_scar_is_kept_in_the_value() -> None:
    [parsed] = read("S21.G00.30.002,'Pr\ufffdparateur'\n".encode())
    assert parsed.encoding == "utf-8"
    assert _values(parsed) == ["Pr\ufffdparateur"]


@given(chunk_bytes=st.integers(min_value=1, max_value=40))
def test_a_transcoding_scar_cut_by_a_chunk_boundary_keeps_the_file_utf8(chunk_bytes: int) -> None:
    # A U+FFFD the file holds, split between two chunks, was counted as an invalid sequence:
    # the file then read as ISO-8859-1, every accent garbled (found on the real lot sample).
    content = "S21.G00.30.002,'Pr\ufffdparateur'\nS21.G00.30.004,'Zoé'\n".encode()
    [parsed] = read(content, chunk_bytes=chunk_bytes)
    assert parsed.encoding == "utf-8"
    assert _values(parsed) == ["Pr\ufffdparateur", "Zoé"]


def test_small_chunks_split_multibyte_characters_safely() -> None:
    lines = envoi([declaration() + NAMES * 50])
    content = dsn_bytes(lines, encoding="utf-8")
    [whole] = read(content)
    [chunked] = read(content, chunk_bytes=7)
    assert whole.encoding == chunked.encoding == "utf-8"
    assert _values(chunked) == _values(whole) == [value for _, value in lines]


@settings(max_examples=400, deadline=None)
@example(lines=[], final_newline=False, encoding="utf-8-sig", chunk_bytes=1)
@given(
    lines=st.lists(st.text(alphabet="aé€S.,'\r \ufeff", max_size=40), max_size=30),
    final_newline=st.booleans(),
    encoding=st.sampled_from(["iso-8859-1", "cp1252", "utf-8", "utf-8-sig"]),
    chunk_bytes=st.integers(min_value=1, max_value=64),
)
def test_line_chunks_give_the_whole_text_cut_at_line_ends(
    lines: list[str], final_newline: bool, encoding: str, chunk_bytes: int
) -> None:
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    payload = text.encode(encoding, errors="replace")
    [dsn] = expand_source(payload)
    pieces = list(utf8_line_chunks(dsn, encoding, chunk_bytes))
    # What decoding the whole file gives (Python's utf-8-sig drops the BOM alone).
    assert b"".join(pieces).decode() == payload.decode(encoding)
    assert all(piece.endswith(b"\n") for piece in pieces[:-1])
    assert all(piece for piece in pieces)


def test_a_line_too_long_to_be_dsn_makes_the_file_unreadable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(decoding, "MAX_LINE_BYTES", 1024)
    # A long but finite line is only a line too long: it is read, and reported as such.
    long_name = dsn_bytes(envoi([[*declaration(), ("S21.G00.30.002", "A" * 700)]]))
    [parsed] = parse(long_name, name="long.dsn")
    assert "LEX-LINE-TOO-LONG" in parsed.diagnostics["code"].to_list()
    assert "FILE-UNREADABLE" not in parsed.diagnostics["code"].to_list()
    # Past the limit without a line end, reading on would hold the whole file in memory.
    binary = b"S10.G00.00.001,'logiciel'\n" + b"\x00" * 5000
    [parsed] = read(binary, name="binary.dsn", chunk_bytes=256)
    [(code, message)] = parsed.diagnostics.select("code", "message").rows()
    assert code == "FILE-UNREADABLE"
    assert "sans fin de ligne" in message
    assert parsed.rejected
