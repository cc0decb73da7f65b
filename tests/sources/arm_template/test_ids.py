"""The ARM id of a declared resource: extension resources written the classic way."""

from __future__ import annotations

from pathlib import Path

from tests.sources.arm_template.templates import RG, read, template, write


def test_classic_extension_naming(tmp_path: Path) -> None:
    res = [{"type": "Microsoft.KeyVault/vaults/providers/diagnosticSettings", "apiVersion": "2021-05-01-preview",
            "name": "kv1/Microsoft.Insights/diag", "properties": {}}]
    (r,) = read(write(tmp_path / "t.json", template(res))).resources
    assert r.type == "Microsoft.Insights/diagnosticSettings"
    assert r.id == f"{RG}/providers/Microsoft.KeyVault/vaults/kv1/providers/Microsoft.Insights/diagnosticSettings/diag"
