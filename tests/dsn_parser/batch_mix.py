"""A pool of real DSN files and variants of them, for comparing the batch reader with reading
file by file: norms P19 to P26, monthly DSNs and signalements, several encodings and line ends,
malformed and hostile files, archives, empty files."""

from __future__ import annotations

import gzip
import re
import zipfile
from pathlib import Path

from tests.dsn_parser.monthly_dsn import monthly, render, replaced

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dsn"
P24_SAMPLE = FIXTURES / "drolow_dsn-analyzer_exemple_P24V01_fictif.dsn"
LOT_SAMPLE = FIXTURES / "jikenlabs_open-neodes_sample_dsn_P25V01_FCTU_lot.dsn"
# A rubric P26V01 added to the individual block (P25V01 does not know it).
P26_ONLY_RUBRIC = "S21.G00.30.030"


def real_files() -> list[Path]:
    return sorted(FIXTURES.rglob("*.dsn")) + sorted(FIXTURES.rglob("*.xml"))


def with_norm(text: bytes, norm: str) -> bytes:
    return text.replace(b"S10.G00.00.006,'P24V01'", f"S10.G00.00.006,'{norm}'".encode())


def p26_with_new_rubric() -> bytes:
    """The P24 sample declared P26V01, its last individual declaring a P26-only rubric."""
    lines = with_norm(P24_SAMPLE.read_bytes(), "P26V01").split(b"\n")
    last_individual_line = max(i for i, line in enumerate(lines) if line.startswith(b"S21.G00.30."))
    lines.insert(last_individual_line + 1, f"{P26_ONLY_RUBRIC},'1'".encode())
    return b"\n".join(lines)


def signalements() -> list[bytes]:
    """The lot sample's three envois of signalements de fin de contrat, out of their envelope:
    all three in one file, and each in a file of its own."""
    lines = [
        line for line in LOT_SAMPLE.read_bytes().split(b"\n") if line and b".G51." not in line[:11]
    ]
    envois: list[list[bytes]] = []
    for line in lines:
        if line.startswith(b"S10.G00.00.001,"):
            envois.append([])
        envois[-1].append(line)
    return [b"\n".join(lines) + b"\n", *(b"\n".join(envoi) + b"\n" for envoi in envois)]


def in_lot(envois: list[bytes], *, lot_date: str = "19122025") -> bytes:
    """Envois wrapped in a concentrator's lot envelope, like the lot sample's."""
    count = str(len(envois)).encode()
    head = [
        b"S05.G51.00.001,'V01R02'",
        b"S05.G51.00.002,'769608'",
        b"S05.G51.00.003,'01'",
        b"S05.G51.00.004,'" + lot_date.encode() + b"'",
        b"S05.G51.00.005,'201648'",
        b"S05.G51.00.006,'" + count + b"'",
        b"S06.G51.00.001,'DSNOK'",
    ]
    tail = [b"S96.G51.00.001,'FINSL'", b"S96.G51.00.002,'" + count + b"'"]
    tail += [b"S95.G51.00.001,'769608'", b"S95.G51.00.002,'" + count + b"'"]
    body = b"".join(envoi if envoi.endswith(b"\n") else envoi + b"\n" for envoi in envois)
    return b"\n".join(head) + b"\n" + body + b"\n".join(tail) + b"\n"


def accepted() -> bytes:
    """A monthly DSN a national validator accepts (status 0), CR LF."""
    return render(monthly())


def base_before_contract() -> bytes:
    """The accepted monthly DSN whose second employee's contract starts on 10/05/2024, after
    the start of the period of his base 31 (a chained control: S21.G00.78.003/SIG-17)."""
    return render(replaced(monthly(), "S21.G00.40.001", "10052024", 1))


def bad_envelope(lot: bytes) -> bytes:
    """The lot with an unreadable envelope line: a finding outside any envoi, which marks every
    declaration of its file (and of no other) accepted with anomalies."""
    return lot.replace(b"S06.G51.00.001,'DSNOK'", b"S06.G51.00.001,DSNOK")


def malformed(text: bytes) -> list[bytes]:
    """Damaged copies of a good file."""
    lines = text.split(b"\n")
    middle = len(lines) // 2
    return [
        text[: len(text) // 2],  # truncated in the middle of a line
        b"not a dsn line\n" + text,  # a stray line before the envoi
        b"\n".join([*lines[:middle], b"S21.G00.30.001,'unquoted", *lines[middle:]]),
        b"\n".join(lines[8:]),  # no envoi start: declarations hang on nothing
        b"\n".join(line for line in lines if not line.startswith(b"S20.")),  # no declaration
        b"\n".join(line for line in lines if not line.startswith(b"S21.G00.30.")),  # orphans
        b"\n".join(lines[:middle]) + b"\n" + b"\n".join(lines[:middle]),  # envoi started twice
        b"\n".join(line for line in lines if not line.startswith(b"S90.")),  # no totals
    ]


def encodings(text: bytes) -> list[bytes]:
    """The same file in the encodings a night meets, and with other line ends."""
    accented = text.replace(b"'PAUL'", "'PAUL-ANDRÉ'".encode("iso-8859-1"))
    return [
        accented,
        accented.decode("iso-8859-1").encode("utf-8"),
        b"\xef\xbb\xbf" + accented.decode("iso-8859-1").encode("utf-8"),
        accented.replace(b"'MARTIN'", "'MARTIN’S'".encode("cp1252")),
        text.replace(b"\n", b"\r\n"),
        text.rstrip(b"\n"),  # no line end after the last line
        text + b"\n\n",
        text.replace(b"\n", b"\r"),
        # UTF-8 damaged in one place: a Latin-1 byte among many valid accents.
        accented.decode("iso-8859-1").encode("utf-8").replace(b"PARIS", "PARISÉÉÉÉÉ".encode())
        + b"S90.G00.90.003,'\xe9'\n",
    ]


def write_pool(directory: Path) -> list[Path]:
    """Write the pool's files into `directory`; returns every path of the pool."""
    directory.mkdir(parents=True, exist_ok=True)
    p24 = P24_SAMPLE.read_bytes()
    lines = p24.split(b"\n")
    made: dict[str, bytes] = {
        # Envois of two norms in one file; a lot envelope after a first envoi.
        "two_norms.dsn": p24 + with_norm(p24, "P25V01"),
        "late_lot.dsn": p24 + b"S06.G51.00.001,'DSNOK'\n" + p24,
        "p25.dsn": with_norm(p24, "P25V01"),
        "two_envois.dsn": p24 + p24,
        "lot.dsn": in_lot([p24]),
        "accepted.dsn": accepted(),
        "accepted_lot.dsn": in_lot([accepted()]),
        "accepted_lot_bad_envelope.dsn": bad_envelope(in_lot([accepted()])),
        "base_before_contract.dsn": base_before_contract(),
        "base_before_contract_lot.dsn": in_lot([accepted(), base_before_contract()]),
        "lot_two_envois.dsn": in_lot([p24, p24]),
        "lot_bad_envelope.dsn": in_lot([p24], lot_date="31022025"),
        "lot_signalements.dsn": in_lot(signalements()[1:]),
        "lot_then_junk.dsn": in_lot([p24]) + b"junk\n",
        "unknown_rubric.dsn": b"\n".join([*lines[:30], b"S21.G00.30.777,'X'", *lines[30:]]),
        "p26.dsn": with_norm(p24, "P26V01"),
        "p26_new_rubric.dsn": p26_with_new_rubric(),
        "unknown_norm.dsn": with_norm(p24, "P99V01"),
        "empty.dsn": b"",
        "blank_lines.dsn": b"\n\n\n",
        "binary.dsn": bytes(range(256)) * 4,
        "corrupt.zip": b"PK\x03\x04" + b"\x00" * 40,
        "corrupt.gz": b"\x1f\x8b" + b"\x00" * 40,
    }
    made.update({f"signalement_{i}.dsn": text for i, text in enumerate(signalements())})
    made.update({f"malformed_{i}.dsn": text for i, text in enumerate(malformed(p24))})
    made.update({f"encoding_{i}.dsn": text for i, text in enumerate(encodings(p24))})
    paths = [_write(directory / name, text) for name, text in made.items()]
    real = real_files()
    gzipped = _write(directory / "monthly.dsn.gz", gzip.compress(real[0].read_bytes()))
    zipped = directory / "several.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for member in [real[1], P24_SAMPLE, directory / "malformed_0.dsn", directory / "p26.dsn"]:
            archive.write(member, member.name)
    return [*real, *paths, gzipped, zipped]


def _write(path: Path, text: bytes) -> Path:
    path.write_bytes(text)
    return path


def write_night(directory: Path, count: int) -> list[Path]:
    """`count` small files like a night's: real monthly DSNs (P19-P26) and signalements, in the
    encodings met, a quarter wrapped in a concentrator's lot (as in the synthetic portfolio),
    each copy made distinct (another software version in S10.G00.00.003), with one damaged or
    empty file in a hundred."""
    directory.mkdir(parents=True, exist_ok=True)
    p24 = P24_SAMPLE.read_bytes()
    monthly_files = sorted((FIXTURES / "keuwa_dsn-parser_pseudonymized").glob("*.dsn"))
    good = [
        *(path.read_bytes() for path in monthly_files),
        p24,
        with_norm(p24, "P25V01"),
        with_norm(p24, "P26V01"),
        accepted(),
        *signalements()[1:],
        *encodings(p24)[:4],
    ]
    bad = [*malformed(p24), b""]
    paths = []
    for index in range(count):
        if index % 100 == 99:
            text = bad[index // 100 % len(bad)]
        else:
            text = good[index % len(good)]
            text = in_lot([text]) if index % 4 == 3 else text
        version = f"S10.G00.00.003,'{index}'".encode()
        path = directory / f"{index:05}.dsn"
        path.write_bytes(re.sub(rb"S10\.G00\.00\.003,'[^'\r\n]*'", version, text))
        paths.append(path)
    return paths
