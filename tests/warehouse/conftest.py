from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dsn_parser.model import ParsedFile
from tests.warehouse.nights import landing, night, warehouse  # noqa: F401 (fixtures)
from warehouse import load

# The same few fixture files are read dozens of times across these tests; the reader's result
# depends only on the bytes, so each distinct content is parsed once per session.
_parsed_by_content: dict[str, list[ParsedFile] | str] = {}


@pytest.fixture(autouse=True)
def parse_each_content_once(monkeypatch: pytest.MonkeyPatch) -> None:
    parse_one = load._parse_one

    def memoized(path: Path) -> list[ParsedFile] | str:
        key = hashlib.sha256(path.read_bytes()).hexdigest()
        if key not in _parsed_by_content:
            _parsed_by_content[key] = parse_one(path)
        return _parsed_by_content[key]

    monkeypatch.setattr(load, "_parse_one", memoized)
