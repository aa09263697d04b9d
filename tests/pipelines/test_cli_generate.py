"""`dsnpipe generate` passes the portfolio options through: quarterly payers and companies
whose contracts have no parameter file."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from pipelines.cli import main


def test_generate_with_quarterly_payers_and_contracts_without_parameters(tmp_path: Path) -> None:
    out = tmp_path / "atterrissage"
    arguments = ["generate", "--out", str(out), "--companies", "2", "--employees", "6"]
    arguments += ["--months", "3", "--trimestriel", "1", "--sans-parametres", "1"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(arguments) == 0
    meta = json.loads((out / "truth" / "meta.json").read_text(encoding="utf-8"))
    assert (meta["quarterly"], meta["without_parameters"]) == (1, 1)
    contracts = [p for p in (out / "reference").glob("*.json") if p.name != "pmss.json"]
    with_parameters = {json.loads(p.read_text())["siren"] for p in contracts}
    rows = (out / "truth" / "contributions.csv").read_text().splitlines()[1:]
    provisional = {row.split(",")[0] for row in rows if row.endswith(",1")}
    assert len(with_parameters) == len(provisional) == 1
    assert not with_parameters & provisional
