"""A hostile landing directory, generated at test time (no binaries in the repository): what an
attacker or an unlucky operator puts there, with the terminal status and the French reason each
entry must end the night with."""

from __future__ import annotations

import gzip
import io
import os
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.warehouse.helpers import AUGUST_2019, FIXTURES, OCTOBER_2019, SEPTEMBER_2019

# Unpacks to this many bytes of DSN lines: a few hundred kilobytes compressed.
BOMB_BYTES = 100 * 2**20


@dataclass(frozen=True)
class Expected:
    status: str
    reason: str  # a fragment of the French reason


def utf8_with_one_invalid_byte(source: Path = AUGUST_2019) -> bytes:
    """A real file turned into UTF-8 with accented names and addresses, where the É of the first
    name lost a byte."""
    text = source.read_bytes().decode("latin-1")
    text = re.sub(r"^S21\.G00\.30\.004,'[^']*'", "S21.G00.30.004,'ÉLÈNE'", text, flags=re.M)
    text = re.sub(
        r"^(S21\.G00\.(?:06\.004|11\.003|30\.008),')([^']*)",
        lambda line: line[1] + line[2].replace("E", "É"),
        text,
        flags=re.M,
    )
    data = text.encode("utf-8")
    damaged = data.index("'ÉLÈNE".encode()) + 1
    return data[:damaged] + b"\xff" + data[damaged + 2 :]


def zip_bomb() -> bytes:
    line = b"S21.G00.30.001,'1850578123456'\n"
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("bombe.dsn", "w", force_zip64=True) as member,
    ):
        block = line * 4096
        for _ in range(BOMB_BYTES // len(block)):
            member.write(block)
    return buffer.getvalue()


def nested_zip() -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.write(AUGUST_2019, "aout.dsn")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("interieur.zip", inner.getvalue())
    return outer.getvalue()


def camt_with_entity() -> bytes:
    """A real camt.054 whose remittance texts go through an internal DTD entity."""
    camt = (FIXTURES / "payments" / "camt054" / "oca__test-camt054.xml").read_bytes()
    declaration_end = camt.index(b"?>") + 2 if camt.startswith(b"<?xml") else 0
    doctype = b'\n<!DOCTYPE Document [<!ENTITY siren "552100554">]>'
    camt = camt[:declaration_end] + doctype + camt[declaration_end:]
    return re.sub(rb"<Ustrd>([^<]*)</Ustrd>", rb"<Ustrd>\1 &siren;</Ustrd>", camt)


def build(landing: Path, outside: Path) -> dict[str, Expected]:
    """Fill `landing` (and `outside`, which links point into); return what each entry must end
    as, keyed by its landing path."""
    dsn = landing / "dsn"
    bank = landing / "bank"
    for folder in (dsn, bank, outside):
        folder.mkdir(parents=True, exist_ok=True)
    secret_dsn = outside / "hors_arrivee.dsn"
    secret_dsn.write_bytes(OCTOBER_2019.read_bytes())
    noise = random.Random(15)
    august = AUGUST_2019.read_bytes()
    files: dict[str, tuple[bytes, Expected]] = {
        "dsn/vide.dsn": (b"", Expected("quarantined", "FILE-UNREADABLE")),
        "dsn/charabia.dsn": (
            noise.randbytes(20_000),
            Expected("quarantined", "FILE-UNREADABLE"),
        ),
        "dsn/tronque.dsn": (august[: len(august) // 2], Expected("quarantined", "rejetée")),
        "dsn/gzip_corrompu.dsn.gz": (
            gzip.compress(august, mtime=0)[:-40],
            Expected("quarantined", "Contenu compressé illisible"),
        ),
        "dsn/octets_nuls.dsn": (
            august.replace(b"\n", b"\x00\n", 40),
            Expected("quarantined", "FILE-UNREADABLE"),
        ),
        "dsn/bombe.zip": (zip_bomb(), Expected("quarantined", "Archive refusée")),
        "dsn/imbriquee.zip": (nested_zip(), Expected("quarantined", "Archive imbriquée refusée")),
        "dsn/utf8_un_octet_invalide.dsn": (
            utf8_with_one_invalid_byte(),
            Expected("loaded_with_diagnostics", "avertissement(s)"),
        ),
        "dsn/nom 'avec' \"guillemets\" et espaces.dsn": (
            SEPTEMBER_2019.read_bytes(),
            Expected("loaded_with_diagnostics", "déclaration(s) rejetée(s)"),
        ),
        "dsn/nom\navec\nretours.dsn": (
            august,
            Expected("loaded_with_diagnostics", "déclaration(s) rejetée(s)"),
        ),
        "dsn/.cache_cache": (august, Expected("ignored", "caché")),
        "dsn/envoi_en_cours.dsn.part": (august, Expected("ignored", "Dépôt en cours")),
        "mystere.bin": (b"\x00\x01\x02MZ", Expected("quarantined", "Type de fichier non reconnu")),
        "bank/camt054_entite.xml": (
            camt_with_entity(),
            Expected("loaded_with_diagnostics", "avertissement(s)"),
        ),
    }
    expected = {}
    for landing_path, (content, outcome) in files.items():
        (landing / landing_path).write_bytes(content)
        expected[landing_path] = outcome
    links = {
        "dsn/lien_passwd.dsn": Path("/etc/passwd"),
        "dsn/lien_hors_arrivee.dsn": secret_dsn,
        "dsn/lien_dossier": outside,
        "dsn/lien_casse.dsn": outside / "absent.dsn",
        "lien_racine": Path("/"),
    }
    for landing_path, target in links.items():
        (landing / landing_path).symlink_to(target)
        expected[landing_path] = Expected("ignored", "Lien symbolique : jamais suivi")
    os.mkfifo(dsn / "tube.dsn")
    expected["dsn/tube.dsn"] = Expected("ignored", "Entrée spéciale")
    return expected
