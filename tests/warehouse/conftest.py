from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dsn_parser.model import ParsedFile
from tests.warehouse.nights import landing, night, warehouse  # noqa: F401 (fixtures)
from warehouse import batches

# The same few fixture files are read dozens of times across these tests; the reader's result
# depends only on the bytes (`parse_many` reads a batch as it reads each file alone), so each
# distinct content is parsed once per session.
_parsed_by_content: dict[str, list[ParsedFile] | str] = {}


@pytest.fixture(autouse=True)
def parse_each_content_once(monkeypatch: pytest.MonkeyPatch) -> None:
    read_files = batches._read_files

    def memoized(paths: list[Path]) -> list[list[ParsedFile] | str]:
        keys = [hashlib.sha256(path.read_bytes()).hexdigest() for path in paths]
        missing = {
            key: path
            for key, path in zip(keys, paths, strict=True)
            if key not in _parsed_by_content
        }
        for key, parsed in zip(missing, read_files(list(missing.values())), strict=True):
            _parsed_by_content[key] = parsed
        return [_parsed_by_content[key] for key in keys]

    monkeypatch.setattr(batches, "_read_files", memoized)
