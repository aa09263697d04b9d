"""The contract of `portal_v1`: what the portal reads changes only deliberately.

When this fails after an intended change, regenerate the contract and the reference page with
`.venv/bin/python -m serving.contract --write` and commit both with the change.
"""

from __future__ import annotations

import json

from serving.contract import CONTRACT_FILE, DOCS_FILE, render_markdown, schema_of
from tests.serving.nights import Night


def test_the_published_schema_is_the_committed_contract(night: Night) -> None:
    committed = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))
    assert schema_of(night.serving) == committed


def test_every_table_and_column_is_commented_in_french(night: Night) -> None:
    for table, description in schema_of(night.serving).items():
        assert description["comment"], table
        for column in description["columns"]:
            assert column["comment"], f"{table}.{column['name']}"
        assert description["columns"][0]["name"] == "night_id"


def test_the_reference_page_is_generated_from_the_contract() -> None:
    committed = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))
    assert DOCS_FILE.read_text(encoding="utf-8") == render_markdown(committed)
