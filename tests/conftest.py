"""Shared test fixtures: where the shared corpus is, and the sample estate."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SAMPLE_ESTATE = REPO / "fixtures" / "sample-estate"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The public corpus in ../shared/corpus (CI has it; a bare clone may not)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside this clone (CI provides it); corpus tests skipped")
    return CORPUS


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this clone (CI provides it)")
    return SHARED


@pytest.fixture(scope="session")
def sample_estate() -> Path:
    return SAMPLE_ESTATE
