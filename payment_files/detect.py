"""Which reader for which file: ISO 20022 XML by its message element, CFONB 120 by its records."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from payment_files.cfonb import decode_text, looks_like_cfonb
from payment_files.iso20022 import MESSAGE_ROOTS, message_name, parse_document
from payment_files.model import FileKind, PaymentFileResult, Severity

_KINDS = {"camt.053": FileKind.CAMT053, "camt.054": FileKind.CAMT054, "pain.002": FileKind.PAIN002}
_TESTED_VERSIONS = {
    FileKind.CAMT053: {"02", "03", "04", "08"},
    FileKind.CAMT054: {"02", "04", "08"},
    FileKind.PAIN002: {"03"},
}
_NAMESPACE_IN_TEXT = re.compile(rb"(camt\.05[234]|pain\.002|pacs\.002)\.\d{3}\.\d{2}")


@dataclass(frozen=True)
class Detection:
    kind: FileKind
    message_name: str | None = None
    body: etree._Element | None = None  # the message element, for the XML kinds
    text: str | None = None  # the decoded file, for CFONB


def detect(data: bytes, result: PaymentFileResult) -> Detection:
    """Recognise the file; on failure add an error diagnostic and return kind UNKNOWN (or the
    kind guessed from the text of a broken XML file, which still cannot be read)."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        result.add("FICHIER_VIDE", Severity.ERROR, "Fichier vide")
        return Detection(FileKind.UNKNOWN)
    if start.startswith(b"<"):
        return _detect_xml(data, result)
    text = decode_text(data)
    if looks_like_cfonb(text):
        return Detection(FileKind.CFONB120, "cfonb.120", text=text)
    result.add(
        "FORMAT_INCONNU",
        Severity.ERROR,
        "Format non reconnu : ni XML ISO 20022 (camt.053, camt.054, pain.002) ni relevé CFONB 120"
        " (enregistrements 01, 04, 05, 07 de 120 caractères)",
        line=1,
    )
    return Detection(FileKind.UNKNOWN)


def _report_dtd(root: etree._Element, result: PaymentFileResult) -> None:
    """A DTD or entity is never expanded (it could read files or inflate the document), so the
    text around an entity is cut there: the remittance that carries the SIREN used for
    allocation may come out empty. Say so rather than lose it silently."""
    entities = list(root.iter(etree.Entity))
    if not entities and not root.getroottree().docinfo.doctype:
        return
    line = entities[0].sourceline if entities else 1
    result.add(
        "XML_ENTITE",
        Severity.WARNING,
        f"DTD ou entités XML ({len(entities)} référence(s), première ligne {line}) non "
        "interprétées par sécurité : les textes qui les contiennent (libellé de remise portant "
        "le SIREN) sont lus tronqués ou vides, le lettrage peut être impossible",
        line=line,
    )


def _detect_xml(data: bytes, result: PaymentFileResult) -> Detection:
    guessed = _NAMESPACE_IN_TEXT.search(data[:4096])
    guessed_name = guessed.group(0).decode() if guessed else None
    guessed_kind = _KINDS.get(guessed.group(1).decode(), FileKind.UNKNOWN) if guessed else None
    try:
        root = parse_document(data)
    except (etree.XMLSyntaxError, ValueError, LookupError) as error:  # Lookup: unknown encoding
        lineno = getattr(error, "lineno", None)
        line = lineno if isinstance(lineno, int) and lineno > 0 else None
        result.add(
            "XML_MALFORME",
            Severity.ERROR,
            f"XML mal formé ou tronqué (ligne {line or '?'}) : fichier non lu",
            line=line,
        )
        return Detection(guessed_kind or FileKind.UNKNOWN, guessed_name)
    _report_dtd(root, result)
    body = next((child for child in root if isinstance(child.tag, str)), None)
    body_tag = str(body.tag) if body is not None else str(root.tag)
    name = message_name(root.nsmap.get(None) if hasattr(root, "nsmap") else None, body_tag)
    kind = _KINDS.get(MESSAGE_ROOTS.get(body_tag, ""), FileKind.UNKNOWN)
    if body is None or kind is FileKind.UNKNOWN:
        supported = "camt.053, camt.054, pain.002"
        what = MESSAGE_ROOTS.get(body_tag)
        result.add(
            "FORMAT_NON_PRIS_EN_CHARGE" if what else "FORMAT_INCONNU",
            Severity.ERROR,
            f"Message {what} non pris en charge (attendus : {supported})"
            if what
            else f"XML sans message ISO 20022 reconnu (élément « {body_tag[:40]} ») :"
            f" attendus {supported}",
            line=(body if body is not None else root).sourceline,
        )
        return Detection(FileKind.UNKNOWN, name)
    version = name.rsplit(".", 1)[-1] if name.count(".") == 3 else None
    if version is not None and version not in _TESTED_VERSIONS[kind]:
        result.add(
            "VERSION_NON_TESTEE",
            Severity.WARNING,
            f"Version {name} lue comme les versions connues ; à vérifier",
            line=root.sourceline,
        )
    return Detection(kind, name, body=body)
