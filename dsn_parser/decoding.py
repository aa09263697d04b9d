"""From a path or bytes to UTF-8 text chunks: archives, encoding detection, file identity.

A DSN file is ISO-8859-1 by the norm, but real files also arrive as UTF-8 (with or without BOM)
or cp1252, plain, gzipped or zipped (a zip may hold several DSN files). Everything downstream
reads UTF-8 through Polars, whose CSV reader rejects Latin-1, so each file is read twice in
bounded memory: a first pass hashes it and settles its encoding, a second pass yields chunks of
whole lines transcoded to UTF-8.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import cast

# Bytes read at a time, and so about the text of one batch of envois (dsn_parser.reading). Each
# batch pays a fixed cost (some 80 ms of Polars plans to read and validate it), so bigger is
# faster, but every batch in flight is held in memory. Measured on a 200 MB lot: 16 MB against
# 8 MB, wall and CPU time about 15 % lower, peak memory 620 -> 795 MB; 24 MB went past 1 GB.
CHUNK_BYTES = 16 * 1024 * 1024

ISO_8859_1 = "iso-8859-1"
CP1252 = "cp1252"
UTF_8 = "utf-8"
UTF_8_SIG = "utf-8-sig"
UTF_8_ENCODINGS = (UTF_8, UTF_8_SIG)

# A DSN line is a few hundred bytes at most (the norm allows 256 characters): a line this long
# means the file is not DSN text (binary data, no line ends), and reading on to find its end
# would hold all of it in memory.
MAX_LINE_BYTES = 64 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_UTF8_BOM = codecs.BOM_UTF8
# Bytes cp1252 leaves undefined: a file holding one cannot be cp1252.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_NOT_C1 = bytes(byte for byte in range(256) if not 0x80 <= byte < 0xA0)

Source = str | PathLike[str] | bytes


class UnreadableFileError(Exception):
    """A file that cannot be read to its end: a gzip or zip container that cannot be opened or
    read, or text with a "line" too long to be DSN (MAX_LINE_BYTES)."""


@dataclass(frozen=True)
class DsnBytes:
    """One DSN file's bytes, reopenable for each pass: a file, an archive member, or memory."""

    source: str  # a path, "archive.zip!member.dsn", or the name given for bytes
    open: Callable[[], io.BufferedIOBase]


@dataclass(frozen=True)
class Inspection:
    file_id: str  # SHA-256 hex of the (decompressed) file bytes
    size: int
    encoding: str


def expand_source(source: Source, name: str | None = None) -> list[DsnBytes]:
    """The DSN files a path or bytes hold: itself, its gunzipped content, or each zip member.

    Containers are recognised by their magic bytes, not by the name's extension. Raises
    UnreadableFileError when a zip's directory cannot be read.
    """
    if isinstance(source, bytes):
        label = name or "<bytes>"
        payload = source

        def open_bytes() -> io.BufferedIOBase:
            return io.BytesIO(payload)

        return _expand(label, open_bytes)
    path = Path(source)
    label = name or str(path)

    def open_path() -> io.BufferedIOBase:
        return path.open("rb")

    return _expand(label, open_path)


def _expand(label: str, opener: Callable[[], io.BufferedIOBase]) -> list[DsnBytes]:
    with opener() as stream:
        magic = stream.read(4)
    if magic.startswith(_GZIP_MAGIC):

        def open_gunzipped() -> io.BufferedIOBase:
            return gzip.GzipFile(fileobj=opener(), mode="rb")

        return [DsnBytes(label, open_gunzipped)]
    if magic == _ZIP_MAGIC:
        return _zip_members(label, opener)
    return [DsnBytes(label, opener)]


def _zip_members(label: str, opener: Callable[[], io.BufferedIOBase]) -> list[DsnBytes]:
    try:
        with opener() as stream, zipfile.ZipFile(stream) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise UnreadableFileError(f"Archive zip illisible : {error}") from error

    def member_opener(member: str) -> Callable[[], io.BufferedIOBase]:
        def open_member() -> io.BufferedIOBase:
            archive = zipfile.ZipFile(opener())
            # A ZipExtFile, buffered; typeshed only declares IO[bytes].
            return cast(io.BufferedIOBase, archive.open(member))

        return open_member

    return [DsnBytes(f"{label}!{member}", member_opener(member)) for member in members]


def read_chunks(dsn: DsnBytes, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The raw bytes of a file in pieces; archive errors become UnreadableFileError."""
    with _opened(dsn) as stream:
        while chunk := stream.read(chunk_bytes):
            yield chunk


@contextmanager
def _opened(dsn: DsnBytes) -> Iterator[io.BufferedIOBase]:
    """The file's stream; archive errors while it is read become UnreadableFileError."""
    try:
        with dsn.open() as stream:
            yield stream
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise UnreadableFileError(f"Contenu compressé illisible : {error}") from error


def inspect(dsn: DsnBytes, chunk_bytes: int = CHUNK_BYTES) -> Inspection:
    """Hash the file and settle its encoding in one pass.

    UTF-8 when every byte sequence is valid UTF-8 and at least one is not ASCII (a BOM makes it
    utf-8-sig); otherwise cp1252 when bytes 0x80-0x9F occur (C1 controls in Latin-1, printable
    characters such as € or ’ in cp1252) and none is undefined in cp1252; otherwise ISO-8859-1,
    the norm's encoding, which also covers pure ASCII.
    """
    digest = hashlib.sha256()
    size = 0
    utf8 = codecs.getincrementaldecoder(UTF_8)()
    may_be_utf8 = True
    all_ascii = True
    has_c1 = False
    has_cp1252_undefined = False
    first = b""
    # Each chunk is hashed in a thread (hashlib releases the GIL) while this one settles the
    # encoding on it: on a big lot the two take about as long as each other. One chunk at a
    # time, so memory stays bounded.
    hashed: Future[None] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="dsn-hash") as hashing:
        for chunk in read_chunks(dsn, chunk_bytes):
            if hashed is not None:
                hashed.result()
            hashed = hashing.submit(digest.update, chunk)
            if not first:
                first = chunk[:3]
            size += len(chunk)
            ascii_chunk = chunk.isascii()
            all_ascii = all_ascii and ascii_chunk
            if may_be_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    may_be_utf8 = False
            if not ascii_chunk and not has_cp1252_undefined:
                c1_bytes = _c1_bytes(chunk)
                has_c1 = has_c1 or bool(c1_bytes)
                has_cp1252_undefined = not c1_bytes.isdisjoint(_CP1252_UNDEFINED)
    if may_be_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            may_be_utf8 = False
    if first.startswith(_UTF8_BOM) and may_be_utf8:
        encoding = UTF_8_SIG
    elif may_be_utf8 and not all_ascii:
        encoding = UTF_8
    elif has_c1 and not has_cp1252_undefined:
        encoding = CP1252
    else:
        encoding = ISO_8859_1
    return Inspection(file_id=digest.hexdigest(), size=size, encoding=encoding)


def _c1_bytes(chunk: bytes) -> frozenset[int]:
    """The distinct bytes of 0x80-0x9F in a chunk.

    bytes.translate deletes every other byte in one C loop: measured 2.5x faster than a numpy
    mask and unique, and a Python loop over the bytes is 50x slower.
    """
    return frozenset(chunk.translate(None, _NOT_C1))


def utf8_line_chunks(
    dsn: DsnBytes, encoding: str, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[bytes]:
    """The file as UTF-8 bytes, in pieces that each end at a line end (except maybe the last).

    A UTF-8 file is never transcoded (inspect() has validated it); its BOM is dropped.

    The file is read into one buffer, reused from piece to piece, and each piece is converted
    straight from it: reading, joining the unfinished line and cutting as new bytes objects
    made four chunk-sized buffers per piece, and on a 200 MB lot the page faults of those
    fresh buffers cost twice the CPU of the transcoding itself.
    """
    buffer = bytearray(chunk_bytes)
    filled = 0  # bytes in the buffer: the unfinished line of the last piece, then new ones
    with _opened(dsn) as stream:
        if encoding == UTF_8_SIG and (start := stream.read(len(_UTF8_BOM))) != _UTF8_BOM:
            buffer[: len(start)] = start
            filled = len(start)
        while True:
            if filled == len(buffer):  # a line longer than the buffer: make room for its end
                if filled >= MAX_LINE_BYTES:
                    raise UnreadableFileError(
                        f"Ligne de plus de {MAX_LINE_BYTES // 2**20} Mo sans fin de ligne : "
                        "le contenu n'est pas un fichier DSN."
                    )
                buffer.extend(bytes(chunk_bytes))
            if not (read := stream.readinto(memoryview(buffer)[filled:])):
                break
            filled += read
            cut = buffer.rfind(b"\n", 0, filled) + 1
            if cut:
                yield _to_utf8(memoryview(buffer)[:cut], encoding)
                buffer[: filled - cut] = buffer[cut:filled]
                filled -= cut
    if filled:
        yield _to_utf8(memoryview(buffer)[:filled], encoding)


def _to_utf8(data: memoryview, encoding: str) -> bytes:
    if encoding in UTF_8_ENCODINGS:
        return bytes(data)
    # Decoding ASCII or Latin-1 is a copy, and encoding ASCII text too.
    return str(data, encoding).encode(UTF_8)
