"""Decoding never guesses silently, and archives are refused before they fill the memory."""

from __future__ import annotations

import gzip
import io
import zipfile

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsn_parser import decoding, parse
from tests.hostile.corpus import BOMB_BYTES, nested_zip, utf8_with_one_invalid_byte, zip_bomb
from tests.warehouse.helpers import AUGUST_2019


def unreadable_reason(data: bytes, name: str) -> str:
    [parsed] = parse(data, name=name)
    assert parsed.declarations.is_empty()
    [message] = parsed.diagnostics.filter(pl.col("code") == "FILE-UNREADABLE")["message"]
    return str(message)


def test_a_utf8_file_with_one_invalid_byte_is_read_as_utf8_and_the_line_is_named() -> None:
    data = utf8_with_one_invalid_byte()
    broken_line = data[: data.index(b"\xff")].count(b"\n") + 1
    [parsed] = parse(data, name="abime.dsn")
    assert parsed.encoding == decoding.UTF_8_INVALID
    found = parsed.diagnostics.filter(pl.col("code") == "ENC-REPLACEMENT-CHAR")
    assert found["line"].to_list() == [broken_line]
    values = dict(parsed.lines.select("rubric", "value").iter_rows())
    assert values["S21.G00.30.004"] == "\ufffdLÈNE"  # the lost byte is shown where it was
    assert values["S21.G00.06.004"] == "1 RUÉ DÉ L ÉNTRÉPRISÉ"  # other accents read right


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèêàùçôîïÉÈÊÀÇÔ-", min_size=1, max_size=12),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["latin-1", "cp1252"]),
)
def test_french_text_in_latin_1_or_cp1252_is_never_taken_for_damaged_utf8(
    words: list[str], encoding: str
) -> None:
    data = f"S21.G00.30.002,'{' '.join(words)}'\n".encode(encoding)
    [source] = decoding.expand_source(data, "f.dsn")
    assert decoding.inspect(source).encoding in (decoding.ISO_8859_1, decoding.CP1252)


def test_cp1252_quotes_and_ligatures_stay_cp1252() -> None:
    data = "S21.G00.30.002,'L’ŒUVRE DE SŒUR ÉLÈNE'\n".encode("cp1252")
    [source] = decoding.expand_source(data, "f.dsn")
    assert decoding.inspect(source).encoding == decoding.CP1252


def test_a_zip_bomb_is_refused_from_its_directory() -> None:
    bomb = zip_bomb()
    assert len(bomb) < BOMB_BYTES // 100
    assert "Archive refusée" in unreadable_reason(bomb, "bombe.zip")


def test_a_gzip_bomb_is_refused_while_it_inflates(monkeypatch: pytest.MonkeyPatch) -> None:
    read_sizes: list[int] = []
    bounded_read = decoding._Bounded.read

    def spy(self: decoding._Bounded, size: int | None = -1) -> bytes:
        data = bounded_read(self, size)
        read_sizes.append(len(data))
        return data

    monkeypatch.setattr(decoding._Bounded, "read", spy)
    bomb = gzip.compress(b"S21.G00.30.001,'1850578123456'\n" * (BOMB_BYTES // 32), 9)
    assert "dépasse" in unreadable_reason(bomb, "bombe.dsn.gz")
    # Stopped a chunk past the limit, far from the 100 MB it would give.
    assert sum(read_sizes) <= decoding._inflated_limit(len(bomb)) + 1


def test_a_zip_lying_about_its_sizes_is_still_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoding, "_RATIO_FLOOR_BYTES", 1024)
    monkeypatch.setattr(decoding, "MAX_COMPRESSION_RATIO", 2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.dsn", b"S10.G00.00.001,'X'\n" * 1000)
    assert "Archive refusée" in unreadable_reason(buffer.getvalue(), "a.zip")


def test_an_archive_of_too_many_members_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoding, "MAX_ARCHIVE_MEMBERS", 3)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(4):
            archive.writestr(f"{number}.dsn", AUGUST_2019.read_bytes())
    assert "4 fichiers, au plus 3" in unreadable_reason(buffer.getvalue(), "lot.zip")


def test_nested_archives_are_refused() -> None:
    assert "Archive imbriquée refusée" in unreadable_reason(nested_zip(), "lot.zip")
    double_gzip = gzip.compress(gzip.compress(AUGUST_2019.read_bytes()))
    assert "Archive imbriquée refusée" in unreadable_reason(double_gzip, "lot.dsn.gz.gz")


def test_a_corrupt_gzip_is_unreadable_in_french() -> None:
    truncated = gzip.compress(AUGUST_2019.read_bytes())[:-40]
    assert "archive tronquée ou corrompue" in unreadable_reason(truncated, "x.dsn.gz")
