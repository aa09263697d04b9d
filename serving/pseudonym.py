"""The keyed pseudonym that stands for an employee in everything analysts read.

HMAC-SHA256 of the employee key (NIR, else NTT) with a secret: stable from night to night, so
analysts can follow an employee across months, and not reversible by hashing every possible NIR
without the key. The secret comes from the environment (the variable named by the settings,
`DSNPIPE_PSEUDONYM_KEY`), never from the repository; the caller reads it and passes it here. When
it is absent the analyst exports are refused; only the demonstration may use a per-installation
key file beside its warehouse (`demo_key_file`), created with 0600 permissions.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import duckdb

# HMAC-SHA256 keys shorter than its 32-byte output make the pseudonyms easier to brute-force
# than the hash itself.
MIN_KEY_BYTES = 32


def missing_key_warning(variable: str) -> str:
    """What a night without a pseudonym key says (French)."""
    return (
        f"Clé de pseudonymisation absente ({variable}) : les exports des analystes ne sont pas "
        "écrits"
    )


class MissingPseudonymKeyError(RuntimeError):
    """No usable key: the analyst exports are not written."""


def pseudonym_key(secret: str | None, demo_key_file: Path | None, variable: str) -> bytes:
    """The `secret` read from the environment `variable`; else, for a demonstration only, the
    key file (created on first use); else a refusal with the operator's instructions."""
    if secret:
        return _long_enough(secret.encode(), f"La variable {variable}")
    if demo_key_file is None:
        raise MissingPseudonymKeyError(
            f"Clé de pseudonymisation absente : définir la variable d'environnement {variable} "
            "(un secret d'au moins 32 caractères, jamais dans le dépôt). "
            "Les exports pour les analystes n'ont pas été écrits."
        )
    if not demo_key_file.exists():
        demo_key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(demo_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return _long_enough(demo_key_file.read_text().strip().encode(), f"Le fichier {demo_key_file}")


def _long_enough(key: bytes, origin: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise MissingPseudonymKeyError(
            f"Clé de pseudonymisation trop courte : {origin} donne {len(key)} octet(s), il en "
            f"faut au moins {MIN_KEY_BYTES} (un secret aléatoire, jamais dans le dépôt). "
            "Les exports pour les analystes n'ont pas été écrits."
        )
    return key


def pseudonym(key: bytes, value: str) -> str:
    return hmac.digest(key, value.encode(), hashlib.sha256).hex()


def register_pseudonym_function(connection: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """`pseudonym(value)` in SQL on `connection`: `pseudonym(key, value)` of the value as text
    (NULL stays NULL), computed by DuckDB itself; the tables themselves are pseudonymised through
    `remember_pseudonyms` and `pseudonym_of`, which hash each distinct value once. Registered
    again, it takes the new key and forgets the pseudonyms remembered so far on the connection:
    they may be another key's."""
    # HMAC (RFC 2104) spelt out with DuckDB's sha256: the values hashed in DuckDB's threads,
    # not one by one in Python (200,000 values 0.65 s against 3.0 s). The padded keys are
    # session variables, never in the text of a query.
    block = hashlib.sha256(key).digest() if len(key) > _SHA256_BLOCK else key
    block = block.ljust(_SHA256_BLOCK, b"\0")
    for name, pad in ((_INNER, 0x36), (_OUTER, 0x5C)):
        connection.execute(f"SET VARIABLE {name} = ?::BLOB", [bytes(b ^ pad for b in block)])
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP MACRO pseudonym(value) AS sha256(getvariable('{_OUTER}')
            || unhex(sha256(getvariable('{_INNER}') || encode(CAST(value AS VARCHAR)))))
        """
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {PSEUDONYMS} (value VARCHAR, pseudonym VARCHAR)"
    )


_SHA256_BLOCK = 64  # bytes
_INNER, _OUTER = "pseudonym_inner_pad", "pseudonym_outer_pad"

# Temporary, per connection: each value met so far and its pseudonym. A table repeats an
# employee on every month and contract: hashing each distinct value once, then joining, is
# faster than hashing every row (core.contributions at 20,000 employees, 348k rows: written in
# 1.9 s hashing each row, 0.6 s without pseudonyms) and keeps the values in DuckDB.
PSEUDONYMS = "pseudonyms"


def remember_pseudonyms(connection: duckdb.DuckDBPyConnection, values: str) -> None:
    """Add to `PSEUDONYMS` the pseudonym of each distinct value the query `values` returns (one
    column) that it does not hold yet; needs `register_pseudonym_function`."""
    connection.execute(
        f"""
        INSERT INTO temp.{PSEUDONYMS}
        SELECT value, pseudonym(value) FROM (
            SELECT DISTINCT CAST(new.value AS VARCHAR) AS value FROM ({values}) AS new(value)
            WHERE new.value IS NOT NULL
            EXCEPT SELECT value FROM temp.{PSEUDONYMS}
        )
        """
    )


def pseudonym_of(column: str) -> str:
    """The SQL expression of the pseudonym of `column` (qualified by its table, so that it is
    never taken for a column of `PSEUDONYMS`), whose values `remember_pseudonyms` was given."""
    return (
        f"(SELECT known.pseudonym FROM temp.{PSEUDONYMS} AS known "
        f"WHERE known.value = CAST({column} AS VARCHAR))"
    )
