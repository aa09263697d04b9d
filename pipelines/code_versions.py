"""The code version of each group of nightly assets: a hash of the packages that compute them.
Dagster marks an asset stale when its group's version changes, and a stage that recomputes
only the companies changed since its last run (`warehouse.changes`) recomputes every company
instead, so that a new rule or a fixed computation reaches the whole history."""

from __future__ import annotations

import hashlib
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
_PACKAGES: dict[str, tuple[str, ...]] = {
    "ingestion": ("dsn_parser", "payment_files", "contracts", "warehouse"),
    "core": ("warehouse",),
    "affiliation": ("quality/affiliation", "quality/anomalies"),
    "stoppages": ("quality/stoppages",),
    "ledgers": ("ledgers", "contracts"),  # the contract terms are read with `contracts`
    "publish": ("serving",),
}


def _code_version(packages: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted((_ROOT / package).rglob("*")):
            if path.suffix in {".py", ".sql"}:
                digest.update(path.relative_to(_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


CODE_VERSIONS = {group: _code_version(packages) for group, packages in _PACKAGES.items()}
