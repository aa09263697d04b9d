"""What the ISO 20022 readers (camt, pain.002) share: safe parsing, version-agnostic access.

Versions .02/.03/.04/.08 of a message differ in their namespace and in a few wrappers (`Sts/Cd`
instead of `Sts`, `Dbtr/Pty/Nm` instead of `Dbtr/Nm`, `BICFI` instead of `BIC`, `DtTm` instead of
`Dt`). The namespace is removed from every tag once, after parsing, so the readers use plain
paths; the helpers below accept each variant.
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
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname
    return root


def message_name(namespace: str | None, body_tag: str) -> str:
    """ "camt.053.001.02" from the namespace, else the message family from the root tag."""
    found = _MESSAGE_NAME.search(namespace or "")
    return found.group(1) if found else MESSAGE_ROOTS.get(body_tag, body_tag)


def text(element: etree._Element | None, *paths: str) -> str | None:
    """Stripped text of the first path that exists and is not blank."""
    if element is None:
        return None
    for path in paths:
        found = element.find(path)
        if found is not None and found.text and found.text.strip():
            return found.text.strip()
    return None


def texts(element: etree._Element, path: str) -> tuple[str, ...]:
    return tuple(e.text.strip() for e in element.findall(path) if e.text and e.text.strip())


def party_name(element: etree._Element | None, party: str) -> str | None:
    return text(element, f"{party}/Nm", f"{party}/Pty/Nm")


def agent_bic(element: etree._Element | None, agent: str) -> str | None:
    return text(element, f"{agent}/FinInstnId/BICFI", f"{agent}/FinInstnId/BIC")


def account_iban(element: etree._Element | None, account: str) -> str | None:
    iban = text(element, f"{account}/Id/IBAN")
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


def date_of(element: etree._Element | None, path: str) -> date | None:
    return parse_iso_date(text(element, f"{path}/Dt", f"{path}/DtTm"))


def parse_datetime(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def element_path(element: etree._Element) -> str:
    """A readable path from the root, with positions among same-named siblings:
    `Document/BkToCstmrStmt/Stmt[1]/Ntry[2]`."""
    steps: list[str] = []
    current: etree._Element | None = element
    while current is not None:
        parent = current.getparent()
        step = str(current.tag)
        if parent is not None:
            same = [c for c in parent if c.tag == current.tag]
            if len(same) > 1:
                step += f"[{same.index(current) + 1}]"
        steps.append(step)
        current = parent
    return "/".join(reversed(steps))
