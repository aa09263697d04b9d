"""The nightly replay in small, in the default suite: a tiny generated portfolio (2 companies,
3 months, many faults) lands night by night; two nights in between are run (the files of the
others land all the same) and each is scored against the generator's truth as of that night. A
regression on the nights in between fails here, not only in the replay bench."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipelines.replay import THRESHOLD, arrivals, replay, score_night, small_portfolio
from tests.pseudonym_key import use_test_pseudonym_key


def test_the_nights_in_between_find_what_is_known_that_night(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_test_pseudonym_key(monkeypatch)
    source = tmp_path / "source"
    small_portfolio(source, fault_rate=0.6)
    nights = list(arrivals(source))
    chosen = {nights[len(nights) // 3], nights[2 * len(nights) // 3]}
    warehouse = tmp_path / "w" / "entrepot.duckdb"
    expected = 0
    for night, code, out in replay(source, tmp_path / "landing", warehouse, chosen):
        assert code == 0, (night, out)
        assert "retenue" not in out, (night, out)
        scores = score_night(warehouse, source / "truth", night)
        assert [s.line() for s in scores if not s.meets(THRESHOLD)] == []
        expected += sum(s.expected for s in scores)
    assert expected >= 10
