"""The pseudonyms a table is published with (`serving.pseudonym`): each value's keyed HMAC, the
same wherever the value appears, and never a pseudonym of another key."""

from __future__ import annotations

import duckdb

from serving.pseudonym import (
    pseudonym,
    pseudonym_of,
    register_pseudonym_function,
    remember_pseudonyms,
)


def _published(connection: duckdb.DuckDBPyConnection) -> list[tuple[str | None, str | None]]:
    remember_pseudonyms(connection, "SELECT nir FROM people")
    return connection.execute(
        f"SELECT nir, {pseudonym_of('people.nir')} FROM people ORDER BY rowid"
    ).fetchall()


def test_every_row_gets_its_values_pseudonym_and_a_new_key_forgets_the_old_ones() -> None:
    with duckdb.connect() as connection:
        connection.execute(
            "CREATE TABLE people AS SELECT * FROM "
            "(VALUES ('180017512345612'), (NULL), ('180017512345612'), ('290027512345678')) "
            "AS t(nir)"
        )
        for key in (b"a" * 32, b"b" * 32):
            register_pseudonym_function(connection, key)
            assert _published(connection) == [
                (nir, None if nir is None else pseudonym(key, nir))
                for (nir,) in connection.execute("SELECT nir FROM people ORDER BY rowid").fetchall()
            ]
