"""The flow in the imports: no package imports one later in the flow, and no test module imports
another test module (shared helpers live in helper modules such as `tests/quality/dsn_cases.py`).

Every import counts, at module level or inside a function, since a lazy import still ties the
package to the one it imports (docs/architecture.md draws the flow).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).parents[1]
# Readers of raw formats → warehouse → domains → serving → orchestration. A package may import
# its own rank or an earlier one.
RANKS = {
    "dsn_parser": 0,
    "payment_files": 0,
    "contracts": 0,
    "warehouse": 1,
    "quality": 2,
    "ledgers": 2,
    "serving": 3,
    "pipelines": 4,
}
# The generator writes the readers' formats and the insurer's own files: it may import those
# (rank 0) and nothing else; only the commands and the tests may import it.
SYNTHETIC = "synthetic"
SYNTHETIC_USERS = ("pipelines/commands/",)


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _violation(source: str, path: str, imported: str) -> str | None:
    if imported == SYNTHETIC:
        return None if path.startswith(SYNTHETIC_USERS) else "n'importe pas synthetic"
    if source == SYNTHETIC:
        return None if RANKS[imported] == 0 else "synthetic n'importe que les lecteurs"
    return "remonte le flux" if RANKS[imported] > RANKS[source] else None


def layer_violations(root: Path) -> list[str]:
    packages = {*RANKS, SYNTHETIC}
    found = []
    for source in sorted(packages):
        for path in sorted((root / source).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            for module in _imports(path):
                imported = module.split(".")[0]
                if imported in packages and imported != source:
                    why = _violation(source, relative, imported)
                    if why:
                        found.append(f"{relative} → {module} : {why}")
    return found


def test_no_package_imports_one_later_in_the_flow() -> None:
    assert layer_violations(REPO) == []


def test_the_layer_test_sees_an_import_running_back_up(tmp_path: Path) -> None:
    for package, text in {
        "warehouse": "from serving.spec import SCHEMA\n",
        "quality": "def lazy():\n    import pipelines.settings\n",
        "synthetic": "from quality.anomalies.catalogue import RULES\n",
        "serving": "from synthetic import generate\n",
        "ledgers": "from warehouse.connections import connect\n",  # allowed: earlier
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "module.py").write_text(text)
    assert layer_violations(tmp_path) == [
        "quality/module.py → pipelines.settings : remonte le flux",
        "serving/module.py → synthetic : n'importe pas synthetic",
        "synthetic/module.py → quality.anomalies.catalogue : synthetic n'importe que les lecteurs",
        "warehouse/module.py → serving.spec : remonte le flux",
    ]


def test_no_test_module_imports_another_test_module() -> None:
    found = [
        f"{path.relative_to(REPO)} → {module}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        for module in _imports(path)
        if module.startswith("tests.")
        and module.rsplit(".", 1)[-1].startswith(("test_", "conftest"))
    ]
    assert found == []
