"""The Dagster graph as operators see it — every asset with its group, owners, dependencies and
pool, every check, job, schedule and sensor — against the committed snapshot
`dagster_graph.json`: a changed graph is a reviewed change. After a deliberate change:

    .venv/bin/python -m tests.pipelines.test_graph_snapshot --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import dagster as dg

SNAPSHOT = Path(__file__).with_name("dagster_graph.json")


def graph(defs: dg.Definitions) -> dict[str, Any]:
    repository = defs.get_repository_def()
    assets = {}
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        assets[spec.key.to_user_string()] = {
            "group": spec.group_name,
            "owners": list(spec.owners),
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            "kinds": sorted(spec.kinds),
            "described": bool(spec.description),
            "code_version": spec.code_version is not None,
            "freshness_policy": spec.freshness_policy is not None,
            "column_schema": "dagster/column_schema" in spec.metadata,
        }
    checks = sorted(
        f"{key.asset_key.to_user_string()}:{key.name}"
        for key in repository.asset_graph.asset_check_keys
    )
    jobs = {
        job.name: job.executor_def.name
        for job in repository.get_all_jobs()
        if not job.name.startswith("__")
    }
    return {
        "assets": assets,
        "checks": checks,
        "jobs": dict(sorted(jobs.items())),
        "schedules": {
            s.name: {"cron": s.cron_schedule, "job": s.job_name, "timezone": s.execution_timezone}
            for s in repository.schedule_defs
        },
        "sensors": {s.name: sorted(t.job_name for t in s.targets) for s in repository.sensor_defs},
    }


def _built() -> dict[str, Any]:
    from pipelines.definitions import defs

    return json.loads(json.dumps(graph(defs)))


def test_the_graph_is_the_reviewed_one() -> None:
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert _built() == committed, (
        "Le graphe Dagster a changé : vérifier puis régénérer avec "
        "`python -m tests.pipelines.test_graph_snapshot --write`."
    )


def test_every_asset_has_an_owner_a_group_a_description_and_a_code_version() -> None:
    for key, asset in _built()["assets"].items():
        assert asset["owners"] and asset["group"] and asset["described"], key
        assert asset["code_version"], key


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    SNAPSHOT.write_text(json.dumps(_built(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"Écrit : {SNAPSHOT}")
