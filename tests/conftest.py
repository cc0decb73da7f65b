"""Shared test fixtures: where the shared corpus is, the sample estate, and the small estate
and check pack of the gate tests (tests/gate_estate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property-based tests: CI runs a fixed, bounded set of examples (derandomized: the same inputs
# every run); `python -m pytest --hypothesis-profile thorough` searches far more, at random.
settings.register_profile("ci", max_examples=200, derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

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


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test check pack (TST-* checks with known verdicts on the gate estate); read only."""
    from tests.gate_estate import write_pack

    return write_pack(tmp_path_factory.mktemp("pack"))


@pytest.fixture()
def estate(tmp_path: Path) -> Path:
    """A fresh copy of the gate estate per test (tests edit it). Modules with another estate
    (the report and live tests) define their own fixture of this name, which wins there."""
    from tests.gate_estate import build_estate

    return build_estate(tmp_path / "estate")


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel `pip wheel .` builds, the folder it is unpacked in): built once for the tests
    that prove the package ships what it needs (the check pack, the policy data)."""
    import subprocess
    import sys
    import zipfile

    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("mlwaf-*.whl")
    target = tmp_path_factory.mktemp("installed")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    return wheel, target
