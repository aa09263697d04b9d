"""The pseudonyms a table is published with (`serving.pseudonym`): each value's keyed HMAC, the
same wherever the value appears, and never a pseudonym of another key."""

from __future__ import annotations

import duckdb
import pytest

from serving.pseudonym import (
    pseudonym,
    pseudonym_of,
    register_pseudonym_function,
    remember_pseudonyms,
)

_VALUES = ["180017512345612", None, "180017512345612", "290027512345678", "Zoé Ñ 1", ""]


@pytest.mark.parametrize(
    "keys",
    [
        (b"a" * 32, b"b" * 32),
        # past SHA-256's 64-byte block HMAC hashes the key first; a key of exactly one block
        ("clé à 64 octets ".encode().ljust(64, b"k"), b"x" * 100),
    ],
)
def test_every_row_gets_its_values_pseudonym_and_a_new_key_forgets_the_old_ones(
    keys: tuple[bytes, bytes],
) -> None:
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE people (nir VARCHAR, episode_id BIGINT)")
        connection.executemany("INSERT INTO people VALUES (?, 42)", [[v] for v in _VALUES])
        for key in keys:
            register_pseudonym_function(connection, key)
            for column in ("nir", "episode_id"):
                remember_pseudonyms(connection, f"SELECT {column} FROM people")
            rows = connection.execute(
                f"SELECT {pseudonym_of('people.nir')}, {pseudonym_of('people.episode_id')} "
                "FROM people ORDER BY rowid"
            ).fetchall()
            assert rows == [
                (None if nir is None else pseudonym(key, nir), pseudonym(key, "42"))
                for nir in _VALUES
            ]
