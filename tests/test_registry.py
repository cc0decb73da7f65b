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
        ("pillar=Pillar.SECURITY", "pillar=Pillar.RELIABILITY", "is reliability, but the id names security"),
        ('remediation="Add an owner tag."', 'remediation="x", reads=["tags.owner]"]', "read path 'tags.owner]'"),
        ('remediation="Add an owner tag."', 'remediation="x", reads_related={"disks": ["sku"]}', "not an ARM type"),
        ('remediation="Add an owner tag."', 'remediation="x", differs=3', "field 'differs' must be text"),
    ],
)
def test_bad_metadata_names_file_and_field(tmp_path, replace, by, message):
    path = _write(tmp_path / "bad", "broken.py", GOOD.replace(replace, by))
    with pytest.raises(CheckLoadError) as err:
        registry.load([tmp_path / "bad"])
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_pillar_is_read_from_the_id_when_left_out(tmp_path):
    _write(tmp_path / "p", "acme.py", GOOD.replace("    pillar=Pillar.SECURITY,\n", ""))
    assert registry.load([tmp_path / "p"], builtin=False).get("ACME-SEC-001").pillar.value == "security"
    unnamed = GOOD.replace("    pillar=Pillar.SECURITY,\n", "").replace("ACME-SEC-001", "ACME-001")
    _write(tmp_path / "q", "acme.py", unnamed)
    with pytest.raises(CheckLoadError, match="field 'pillar' is required"):
        registry.load([tmp_path / "q"], builtin=False)


def test_reads_and_differs_in_check_or_in_the_old_decorators_never_both(tmp_path):
    new = GOOD.replace('remediation="Add an owner tag.",', 'remediation="x", reads=["tags.owner"], '
                       'reads_related={"Microsoft.Storage/storageAccounts": ["sku.name"]}, differs="PSRule X: y",')
    old = GOOD.replace("from mlwaf.check import", "from mlwaf.checklib import reads, differs\nfrom mlwaf.check import")
    old = old.replace("def owner_tag", '@reads("tags.owner", related={"Microsoft.Storage/storageAccounts": '
                      '["sku.name"]})\n@differs("PSRule X: y")\ndef owner_tag')
    specs = []
    for name, text in (("new", new), ("old", old)):
        _write(tmp_path / name, "acme.py", text)
        specs.append(registry.load([tmp_path / name], builtin=False).get("ACME-SEC-001"))
    for spec in specs:
        assert spec.reads == {"": ("tags.owner",), "microsoft.storage/storageaccounts": ("sku.name",)}
        assert spec.differs == "PSRule X: y"
    both = new.replace("def owner_tag", '@differs("again")\ndef owner_tag')
    _write(tmp_path / "both", "acme.py", "from mlwaf.checklib import differs\n" + both)
    with pytest.raises(CheckLoadError, match="differs is declared twice"):
        registry.load([tmp_path / "both"], builtin=False)


def test_a_default_the_check_applies_is_among_its_reads(tmp_path):
    text = GOOD.replace('remediation="Add an owner tag.",', 'remediation="x", reads=["tags.owner"], '
                        "defaults=[D.WORKSPACE_PUBLIC_NETWORK_ACCESS],")
    _write(tmp_path / "d", "acme.py", "from mlwaf import defaults as D\n" + text)
    with pytest.raises(CheckLoadError, match=r"default of properties\.publicNetworkAccess, which the check does not"):
        registry.load([tmp_path / "d"], builtin=False)


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
