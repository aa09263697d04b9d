"""One small generated portfolio shared by the synthetic tests (generation takes ~1 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic import generate

# Faults well above the default so that every kind of fault shows up in a small portfolio.
PORTFOLIO = {"companies": 10, "employees": 280, "months": 12, "seed": 11, "fault_rate": 0.5}


@pytest.fixture(scope="session")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portfolio")
    generate(root, **PORTFOLIO)  # type: ignore[arg-type]
    return root


# More employees, fewer faults each: lives where a fault meets an NTT or an exemption.
BUSIER_PORTFOLIO = {"companies": 20, "employees": 600, "months": 12, "seed": 8, "fault_rate": 0.1}


@pytest.fixture(scope="session")
def busier_portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("busier_portfolio")
    generate(root, **BUSIER_PORTFOLIO)  # type: ignore[arg-type]
    return root
