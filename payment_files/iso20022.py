"""What the ISO 20022 readers (camt, pain.002) share: safe parsing, version-agnostic access.

Versions .02/.03/.04/.08 of a message differ in their namespace and in a few wrappers (`Sts/Cd`
instead of `Sts`, `Dbtr/Pty/Nm` instead of `Dbtr/Nm`, `BICFI` instead of `BIC`, `DtTm` instead of
`Dt`). The namespace is removed from every tag once, after parsing, so the readers use plain
paths; the `Node` accessors accept each variant.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,10})?$")
_MESSAGE_NAME = re.compile(r"([a-z]{4}\.\d{3}\.\d{3}\.\d{2})$")

# The ISO message each root element stands for.
MESSAGE_ROOTS = {
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
    "BkToCstmrAcctRpt": "camt.052",
    "CstmrPmtStsRpt": "pain.002",
    "FIToFIPmtStsRpt": "pacs.002",
}


def parse_document(data: bytes) -> etree._Element:
    """Parse without network, DTD or entity expansion; raises etree.XMLSyntaxError."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(data, parser)
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag.startswith("{"):
            element.tag = tag[tag.index("}") + 1 :]
    return root


def message_name(namespace: str | None, body_tag: str) -> str:
    """ "camt.053.001.02" from the namespace, else the message family from the root tag."""
    found = _MESSAGE_NAME.search(namespace or "")
    return found.group(1) if found else MESSAGE_ROOTS.get(body_tag, body_tag)


class Node:
    """An element with its descendants indexed by relative path (`Refs/EndToEndId`), built in one
    walk: lxml's `find` re-reads a multi-step path at every call (about 15 µs), far too slow for
    statements of tens of thousands of entries. Children named in `skip` are left out (a
    statement's entries are indexed entry by entry)."""

    __slots__ = ("_paths", "element")

    def __init__(
        self, element: etree._Element | None, *, skip: frozenset[str] = frozenset()
    ) -> None:
        self.element = element
        self._paths: dict[str, list[etree._Element]] = {}
        for child in element if element is not None else ():
            tag = child.tag
            if isinstance(tag, str) and tag not in skip:
                self._index(child, tag)

    def _index(self, element: etree._Element, path: str) -> None:
        self._paths.setdefault(path, []).append(element)
        for child in element:
            tag = child.tag
            if isinstance(tag, str):
                self._index(child, f"{path}/{tag}")

    @property
    def line(self) -> int | None:
        return self.element.sourceline if self.element is not None else None

    def all(self, path: str) -> list[etree._Element]:
        return self._paths.get(path, [])

    def first(self, path: str) -> etree._Element | None:
        found = self._paths.get(path)
        return found[0] if found else None

    def text(self, *paths: str) -> str | None:
        """Stripped text of the first of `paths` that exists and is not blank."""
        for path in paths:
            for element in self._paths.get(path, ()):
                if element.text and element.text.strip():
                    return str(element.text).strip()
        return None

    def texts(self, path: str) -> tuple[str, ...]:
        return tuple(
            str(e.text).strip() for e in self._paths.get(path, ()) if e.text and e.text.strip()
        )

    def date(self, path: str) -> date | None:
        """A `Dt` or `DtTm` under `path`; ValueError when malformed."""
        return parse_iso_date(self.text(f"{path}/Dt", f"{path}/DtTm"))

    def party_name(self, party: str) -> str | None:
        return self.text(f"{party}/Nm", f"{party}/Pty/Nm")

    def agent_bic(self, agent: str) -> str | None:
        return self.text(f"{agent}/FinInstnId/BICFI", f"{agent}/FinInstnId/BIC")

    def iban(self, account: str) -> str | None:
        iban = self.text(f"{account}/Id/IBAN")
        return iban.replace(" ", "").upper() if iban else None


def parse_amount(raw: str | None) -> Decimal:
    """An ISO amount (no sign, `.` decimal point); ValueError when it is not one."""
    if raw is None or not _AMOUNT.match(raw):
        raise ValueError(raw)
    return Decimal(raw)


def parse_iso_date(raw: str | None) -> date | None:
    """A date from `YYYY-MM-DD` or the date part of a date-time (as written, no time zone
    conversion: the bank's booking day). ValueError when malformed."""
    if raw is None:
        return None
    return date.fromisoformat(raw[:10])


def parse_datetime(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def element_path(element: etree._Element) -> str:
    """A readable path from the root, with positions among same-named siblings:
    `/Document/BkToCstmrStmt/Stmt/Ntry[2]` (libxml2's). It counts siblings: for diagnostics,
    not for every record of a big file."""
    return str(element.getroottree().getpath(element))
