"""The suite's pseudonym key: a night with an analysts' copy refuses to run without one, and the
same key every run keeps the pseudonyms the tests compare the same."""

from __future__ import annotations

import pytest

TEST_PSEUDONYM_KEY = "clé de test, pas un secret : " + "x" * 32


def use_test_pseudonym_key(patch: pytest.MonkeyPatch) -> str:
    """Set the key for the nights of this process; return it (for a night in a child process)."""
    patch.setenv("DSNPIPE_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
    return TEST_PSEUDONYM_KEY
