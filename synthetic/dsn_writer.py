"""DSN flat files as payroll software and the concentrator produce them.

A file is one envoi (S10 … S90) or, when it reached the insurer through a concentrator, a lot
envelope (S05 … S95) around one or more envois. S90.G00.90.001 counts the envoi's lines, S10 and
S90 included (service rubrics added on the way included too). Values are written as they are:
the norm has no escaping, so an apostrophe or a comma inside a value stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Line = tuple[str, str]

MAX_LINE = 256


def render_envoi(
    header: Sequence[Line], declaration: Iterable[Sequence[Line]], *, encoding: str, crlf: bool
) -> bytes:
    """S10 header + one declaration given as chunks of lines + S90 totals, rendered chunk by
    chunk so a declaration of thousands of employees never exists as one list of lines."""
    parts = [render(header, encoding=encoding, crlf=crlf)]
    count = len(header)
    for chunk in declaration:
        parts.append(render(chunk, encoding=encoding, crlf=crlf))
        count += len(chunk)
    totals = [("S90.G00.90.001", str(count + 2)), ("S90.G00.90.002", "1")]
    parts.append(render(totals, encoding=encoding, crlf=crlf))
    return b"".join(parts)


def lot_envelope(
    lot_number: str, built_on: str, built_at: str, envois: int
) -> tuple[list[Line], list[Line]]:
    """A concentrator lot around `envois` envois: header and DSNOK group before them; group
    trailer, empty KO groups and lot trailer after them."""
    head: list[Line] = [
        ("S05.G51.00.001", "V01R02"),
        ("S05.G51.00.002", lot_number),
        ("S05.G51.00.003", "01"),
        ("S05.G51.00.004", built_on),
        ("S05.G51.00.005", built_at),
        ("S05.G51.00.006", str(envois)),
        ("S06.G51.00.001", "DSNOK"),
    ]
    tail: list[Line] = [("S96.G51.00.001", "FINSL"), ("S96.G51.00.002", str(envois))]
    for group in ("FP-KO", "CT-KO", "AUTRE"):
        tail += [("S06.G51.00.001", group), ("S96.G51.00.001", "FINSL"), ("S96.G51.00.002", "0")]
    tail += [("S95.G51.00.001", lot_number), ("S95.G51.00.002", str(envois))]
    return head, tail


def render(lines: Sequence[Line], *, encoding: str, crlf: bool) -> bytes:
    """Encode the lines; a value the norm forbids (empty, padded, too long) is a generator bug."""
    if not lines:
        return b""
    end = "\r\n" if crlf else "\n"
    texts = [f"{rubric},'{value}'" for rubric, value in lines]
    body = end.join(texts) + end
    # Checked on the whole text first (fast), line by line only to name the culprit.
    if ",''" in body or ",' " in body or f" '{end}" in body or max(map(len, texts)) > MAX_LINE:
        for rubric, value in lines:
            if not value or value != value.strip() or len(rubric) + len(value) + 3 > MAX_LINE:
                raise ValueError(f"{rubric}: empty, padded or too long value {value!r}")
    return body.encode(encoding)
