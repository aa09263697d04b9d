"""The portal reads the serving file from another process while nights are published: it never
gets an error and never sees two nights at once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from serving.night import new_night_id
from serving.snapshot import build_candidate, published_night_id, swap_in
from tests.serving.nights import Night

REPO = Path(__file__).parents[2]
PUBLICATIONS = 4


def _queries(out: Path) -> list[dict[str, object]]:
    if not out.exists():
        return []
    lines = out.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:-1]]  # the last line may be half written


def _wait_for_more_queries(out: Path, done: int, reader: subprocess.Popen[bytes]) -> int:
    # Progress guard, not a timing assertion: the bound only keeps a broken reader from
    # hanging the suite.
    deadline = time.monotonic() + 60
    while len(_queries(out)) <= done:
        assert reader.poll() is None, "the reader process died"
        assert time.monotonic() < deadline, "the reader process made no progress"
        time.sleep(0.01)
    return len(_queries(out))


def test_a_reader_process_never_sees_an_error_or_two_nights(night: Night, tmp_path: Path) -> None:
    serving, stop, out = tmp_path / "serving.duckdb", tmp_path / "stop", tmp_path / "reader.jsonl"
    shutil.copy(night.serving, serving)
    published = {published_night_id(serving)}
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.serving.reader_process", str(serving), str(stop), str(out)],
        cwd=REPO,
    )
    try:
        done = _wait_for_more_queries(out, 0, reader)
        for _ in range(PUBLICATIONS):
            night_id = new_night_id(date.today())
            candidate = build_candidate(night.warehouse, serving, date.today(), night_id)
            done = _wait_for_more_queries(out, done, reader)  # reading while we built
            swap_in(candidate.path, serving)
            published.add(night_id)
        _wait_for_more_queries(out, done, reader)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    queries = _queries(out)
    assert [q for q in queries if "error" in q] == []
    assert all(len(q["nights"]) == 1 and q["mixed_join_rows"] == 0 for q in queries)  # type: ignore[arg-type]
    seen = {q["nights"][0] for q in queries}  # type: ignore[index]
    assert seen <= published and len(seen) >= 2
