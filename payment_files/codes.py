"""Reference code lists shipped with the package (see `reference_codes_SOURCES.md`)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

# ISO bank-transaction sub-families that book a payment coming back (the ISO external code set
# names them "reversal due to ..."/"unpaid"): unpaid direct debit, reversal due to return,
# payment reversal, cancellation request, automatic return.
RETURN_SUB_FAMILIES = frozenset({"UPDD", "RRTN", "PRDD", "RCDD", "RPCR", "ARET"})
RETURNED_ITEM_FAMILY = "RTI"  # the CFONB table's ISO family for rejected/unpaid operations


@dataclass(frozen=True)
class CfonbOperation:
    code: str
    label: str
    direction: str  # "D", "C", "D/C"
    iso_family: str  # CHK, TRF, DDT, RTI...


@cache
def cfonb_operations() -> dict[str, CfonbOperation]:
    text = files(__package__).joinpath("cfonb_operation_codes.csv").read_text(encoding="utf-8")
    table: dict[str, CfonbOperation] = {}
    for row in csv.reader(text.splitlines(), delimiter=";"):
        if len(row) >= 4:
            table[row[0]] = CfonbOperation(row[0], row[1], row[2], row[3])
    return table


@cache
def status_reason_labels() -> dict[str, str]:
    """ISO 20022 ExternalStatusReason1Code → its published (English) description."""
    text = files(__package__).joinpath("iso_status_reason_codes.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {row["code"].strip(): row["name"].strip() for row in rows if row.get("code")}


_WORD = re.compile(r"\b[A-Z]{2}\d{2}\b")


def reason_code_in_text(lines: Iterable[str]) -> str | None:
    """The first ISO status reason code (AM04, MD06...) written in free text: French banks print
    it in the label of a returned SEPA direct debit ("IMPAYE PRLV MOTIF AM04") when the CFONB 120
    record has no reason of its own. Only codes of the published list count."""
    known = status_reason_labels()
    for line in lines:
        for word in _WORD.findall(line.upper()):
            if word in known:
                return word
    return None
