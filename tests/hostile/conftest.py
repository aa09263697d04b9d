from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.pseudonym_key import use_test_pseudonym_key


@pytest.fixture(autouse=True)
def keep_the_umask() -> Iterator[None]:
    """`dsnpipe` sets the process umask; the other tests of this process keep theirs."""
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    os.umask(umask)


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_pseudonym_key(monkeypatch)


# The warehouse tests' landing directory, warehouse and night without Dagster.
from tests.warehouse.nights import landing, night, warehouse  # noqa: E402

__all__ = ["landing", "night", "warehouse"]
