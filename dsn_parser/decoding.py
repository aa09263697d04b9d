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
from collections.abc import Callable, Generator, Iterator
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
# UTF-8 text with some invalid byte sequences: read with each replaced by U+FFFD, which the
# validation reports line by line (ENC-REPLACEMENT-CHAR) instead of guessing another encoding.
UTF_8_INVALID = "utf-8-invalid"
UTF_8_ENCODINGS = (UTF_8, UTF_8_SIG, UTF_8_INVALID)

# A DSN line is a few hundred bytes at most (the norm allows 256 characters): a line this long
# means the file is not DSN text (binary data, no line ends), and reading on to find its end
# would hold all of it in memory.
MAX_LINE_BYTES = 64 * 1024 * 1024

# Archive limits: a DSN archive holds DSN text, which compresses some 5 to 25 times. Past these,
# an archive is refused before it is inflated whole (a 0.5 MB "zip bomb" of 100 MB, or 1 GB, of
# lines would otherwise fill the memory with lines and diagnostics). The ratio is only judged
# past one read chunk, since a tiny file can compress very well.
MAX_ARCHIVE_MEMBERS = 1000
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 100
_RATIO_FLOOR_BYTES = CHUNK_BYTES

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_UTF8_BOM = codecs.BOM_UTF8
_REPLACEMENT_UTF8 = "\ufffd".encode()
# Damaged UTF-8 has far more valid multi-byte sequences than invalid ones; Latin-1 or cp1252
# text makes one only by chance (a capital accent before a symbol or a cp1252 ligature).
_UTF8_EVIDENCE_RATIO = 4
# Latin-1 text fails UTF-8 on nearly every accent: past this many invalid sequences with too
# little evidence the question is settled, and decoding the rest of a big lot would cost some
# 40 % more inspection time for nothing.
_UTF8_RULED_OUT_AFTER = 64
_UTF8_PIECE_BYTES = 1024 * 1024
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
        compressed_size = stream.seek(0, io.SEEK_END)
    if magic.startswith(_GZIP_MAGIC):

        def open_gunzipped() -> io.BufferedIOBase:
            inflated = gzip.GzipFile(fileobj=opener(), mode="rb")
            return _Bounded(inflated, _inflated_limit(compressed_size))

        _refuse_nested(label, open_gunzipped)
        return [DsnBytes(label, open_gunzipped)]
    if magic == _ZIP_MAGIC:
        return _zip_members(label, opener)
    return [DsnBytes(label, opener)]


def _inflated_limit(compressed_size: int) -> int:
    return min(
        MAX_UNCOMPRESSED_BYTES,
        max(_RATIO_FLOOR_BYTES, compressed_size * MAX_COMPRESSION_RATIO),
    )


def _refuse_nested(label: str, opener: Callable[[], io.BufferedIOBase]) -> None:
    """An archive inside an archive is refused: a DSN deposit holds DSN files, and each level
    would multiply what the limits allow."""
    with _opened(DsnBytes(label, opener)) as stream:
        magic = stream.read(4)
    if magic.startswith(_GZIP_MAGIC) or magic == _ZIP_MAGIC:
        raise UnreadableFileError(
            f"Archive imbriquée refusée ({Path(label).name}) : déposer les fichiers DSN eux-mêmes, "
            "ou une seule archive zip ou gzip qui les contient."
        )


class _Bounded(io.BufferedIOBase):
    """An inflating stream that stops with UnreadableFileError past `limit` bytes, before
    the excess is held in memory."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        wanted = self._limit + 1 - self._read
        data = self._inner.read(wanted if size is None or size < 0 else min(size, wanted))
        self._count(len(data))
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer)
        read = self._inner.readinto(view[: self._limit + 1 - self._read])
        self._count(read)
        return read

    def _count(self, read: int) -> None:
        self._read += read
        if self._read > self._limit:
            raise UnreadableFileError(
                f"Archive refusée : son contenu décompressé dépasse {self._limit // 2**20} Mo "
                f"(au plus {MAX_COMPRESSION_RATIO} fois la taille compressée et "
                f"{MAX_UNCOMPRESSED_BYTES // 2**30} Go) ; archive piégée ou corrompue."
            )

    def close(self) -> None:
        self._inner.close()
        super().close()


def _zip_members(label: str, opener: Callable[[], io.BufferedIOBase]) -> list[DsnBytes]:
    try:
        with opener() as stream, zipfile.ZipFile(stream) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise UnreadableFileError(
            f"Archive zip illisible (répertoire absent ou corrompu : {type(error).__name__})."
        ) from error
    _check_zip_limits(members)

    def member_opener(member: zipfile.ZipInfo) -> Callable[[], io.BufferedIOBase]:
        def open_member() -> io.BufferedIOBase:
            archive = zipfile.ZipFile(opener())
            # zipfile stops at the member's declared size, checked below; bounded all the same.
            return _Bounded(
                cast(io.BufferedIOBase, archive.open(member)),
                _inflated_limit(member.compress_size),
            )

        return open_member

    expanded = [DsnBytes(f"{label}!{m.filename}", member_opener(m)) for m in members]
    for member in expanded:
        _refuse_nested(member.source, member.open)
    return expanded


def _check_zip_limits(members: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive from its directory, before inflating anything."""
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise UnreadableFileError(
            f"Archive refusée : {len(members)} fichiers, au plus {MAX_ARCHIVE_MEMBERS} admis."
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableFileError(
            f"Archive refusée : {total // 2**20} Mo une fois décompressée, au plus "
            f"{MAX_UNCOMPRESSED_BYTES // 2**30} Go admis."
        )
    for member in members:
        if member.file_size > _inflated_limit(member.compress_size):
            raise UnreadableFileError(
                f"Archive refusée : « {member.filename} » se décompresse "
                f"{member.file_size // max(member.compress_size, 1)} fois (au plus "
                f"{MAX_COMPRESSION_RATIO} fois admis) ; archive piégée ou corrompue."
            )


def read_chunks(dsn: DsnBytes, chunk_bytes: int = CHUNK_BYTES) -> Generator[bytes]:
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
        raise UnreadableFileError(
            f"Contenu compressé illisible (archive tronquée ou corrompue : {type(error).__name__})."
        ) from error


def inspect(dsn: DsnBytes, chunk_bytes: int = CHUNK_BYTES) -> Inspection:
    """Hash the file and settle its encoding in one pass.

    UTF-8 when every byte sequence is valid UTF-8 and at least one is not ASCII (a BOM makes it
    utf-8-sig); utf-8-invalid when some sequences are invalid but valid multi-byte ones are
    several times as many (a UTF-8 file damaged here and there: Latin-1 text rarely holds a
    valid UTF-8 pair, and reading it as cp1252 would garble every accent without a word);
    otherwise cp1252 when bytes 0x80-0x9F occur (C1 controls in Latin-1, printable characters
    such as € or ’ in cp1252) and none is undefined in cp1252; otherwise ISO-8859-1, the norm's
    encoding, which also covers pure ASCII.
    """
    digest = hashlib.sha256()
    size = 0
    # Replacing rather than failing lets one pass count both: the text is shorter than the bytes
    # by the continuation bytes of valid multi-byte characters, and holds one U+FFFD per invalid
    # sequence (less those the file really holds).
    utf8 = codecs.getincrementaldecoder(UTF_8)(errors="replace")
    multibyte_evidence = 0
    invalid_sequences = 0
    utf8_ruled_out = False
    all_ascii = True
    has_c1 = False
    has_cp1252_undefined = False
    first = b""
    # The last two bytes the decoder was given: a U+FFFD the file really holds may straddle
    # pieces, and is then counted with the one where the decoder completes it.
    before = b""
    # Each chunk is hashed in a thread (hashlib releases the GIL) while this one settles the
    # encoding on it: on a big lot the two take about as long as each other. One chunk at a
    # time, so memory stays bounded. The first chunk is hashed here: a night's small files are
    # one chunk, and starting the thread cost more than hashing them (0.25 ms a file).
    hashed: Future[None] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="dsn-hash") as hashing:
        for chunk in read_chunks(dsn, chunk_bytes):
            if hashed is not None:
                hashed.result()
            if size:
                hashed = hashing.submit(digest.update, chunk)
            else:
                digest.update(chunk)
            if not first:
                first = chunk[:3]
            size += len(chunk)
            ascii_chunk = chunk.isascii()
            all_ascii = all_ascii and ascii_chunk
            # In pieces, so that Latin-1 text is ruled out after its first few accents.
            for start in range(0, len(chunk) if not ascii_chunk else 0, _UTF8_PIECE_BYTES):
                if utf8_ruled_out:
                    break
                piece = chunk[start : start + _UTF8_PIECE_BYTES]
                text = utf8.decode(piece)
                multibyte_evidence += len(piece) - len(text)
                straddling = (before + piece[:2]).count(_REPLACEMENT_UTF8)
                in_file = piece.count(_REPLACEMENT_UTF8) + straddling
                invalid_sequences += text.count("\ufffd") - in_file
                before = (before + piece[-2:])[-2:]
                utf8_ruled_out = (
                    invalid_sequences >= _UTF8_RULED_OUT_AFTER
                    and multibyte_evidence < _UTF8_EVIDENCE_RATIO * invalid_sequences
                )
            if not ascii_chunk and not has_cp1252_undefined:
                c1_bytes = _c1_bytes(chunk)
                has_c1 = has_c1 or bool(c1_bytes)
                has_cp1252_undefined = not c1_bytes.isdisjoint(_CP1252_UNDEFINED)
    invalid_sequences += utf8.decode(b"", final=True).count("\ufffd")
    if invalid_sequences and multibyte_evidence >= _UTF8_EVIDENCE_RATIO * invalid_sequences:
        encoding = UTF_8_INVALID
    elif first.startswith(_UTF8_BOM) and not invalid_sequences:
        encoding = UTF_8_SIG
    elif not invalid_sequences and not all_ascii:
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
    if encoding == UTF_8_INVALID:
        # Pieces end at line ends, so no valid sequence is cut; a leading BOM is dropped.
        return str(data, UTF_8_SIG, "replace").encode(UTF_8)
    if encoding in UTF_8_ENCODINGS:
        return bytes(data)
    # Decoding ASCII or Latin-1 is a copy, and encoding ASCII text too.
    return str(data, encoding).encode(UTF_8)
