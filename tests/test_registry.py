"""Check discovery: built-in pack, --checks-dir and entry points, with loud metadata errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from mlwaf import registry
from mlwaf.registry import CheckLoadError

GOOD = '''
from mlwaf.check import check, passed, Pillar, Severity

@check(
    id="ACME-SEC-001",
    title="Workspace carries an owner tag",
    pillar=Pillar.SECURITY,
    severity=Severity.LOW,
    resource_types=["Microsoft.MachineLearningServices/workspaces"],
    implements=["PLAT-09"],
    remediation="Add an owner tag.",
)
def owner_tag(resource, ctx):
    return passed("ok")
'''


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_builtin_pack_loads_and_counts_by_source():
    reg = registry.load()
    assert len(reg.checks) >= 15
    assert reg.counts["builtin"] == len([c for c in reg.checks.values() if c.source == "builtin"])
    for spec in reg.checks.values():
        assert spec.implements and spec.resource_types and spec.remediation


def test_checks_dir_is_loaded_like_the_builtin_pack(tmp_path):
    _write(tmp_path / "mychecks", "acme.py", GOOD)
    reg = registry.load([tmp_path / "mychecks"])
    assert reg.get("ACME-SEC-001").source == str(tmp_path / "mychecks")
    assert reg.counts[str(tmp_path / "mychecks")] == 1


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('pillar=Pillar.SECURITY', 'pillar="securty"', "field 'pillar' is 'securty'"),
        ('severity=Severity.LOW', 'severity="critical"', "field 'severity'"),
        ('id="ACME-SEC-001"', 'id="acme 1"', "field 'id'"),
        ('remediation="Add an owner tag."', 'remediation=""', "field 'remediation' is required"),
        ('resource_types=["Microsoft.MachineLearningServices/workspaces"]', "resource_types=[]", "resource_types"),
    ],
)
def test_bad_metadata_names_file_and_field(tmp_path, replace, by, message):
    path = _write(tmp_path / "bad", "broken.py", GOOD.replace(replace, by))
    with pytest.raises(CheckLoadError) as err:
        registry.load([tmp_path / "bad"])
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_duplicate_id_is_an_error(tmp_path):
    _write(tmp_path / "dup", "a.py", GOOD)
    _write(tmp_path / "dup", "b.py", GOOD)
    with pytest.raises(CheckLoadError, match="already defined"):
        registry.load([tmp_path / "dup"])


def test_import_error_names_the_file(tmp_path):
    path = _write(tmp_path / "imp", "oops.py", "import does_not_exist_anywhere\n")
    with pytest.raises(CheckLoadError, match="importing the check module failed") as err:
        registry.load([tmp_path / "imp"])
    assert str(path) in str(err.value)


def test_entry_point_group(tmp_path, monkeypatch):
    """A package publishing checks through `mlwaf.checks` is found without any flag."""
    pkg = tmp_path / "site"
    _write(pkg / "acme_checks", "__init__.py", GOOD)
    dist = pkg / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mlwaf.checks]\nacme = acme_checks\n")
    monkeypatch.syspath_prepend(str(pkg))
    reg = registry.load()
    assert reg.get("ACME-SEC-001").source == "entry point acme"


@pytest.mark.slow
def test_wheel_ships_the_builtin_pack(tmp_path, installed_wheel):
    """`pip install .` (not only editable) must ship and find the built-in pack."""
    wheel, target = installed_wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlwaf/builtin_checks/workspace.py" in names
    code = "from mlwaf import registry; print(registry.builtin_pack_dir()); print(len(registry.load().checks))"
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    shipped, count = run.stdout.split()
    assert shipped.startswith(str(target)) and int(count) >= 15
