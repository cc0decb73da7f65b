"""Rebuild the built-in policy data that ships in the wheel from `../shared/policy`.

    python -m mlwaf.policy.refresh ../shared/policy

Definitions and initiatives are stored byte for byte, aliases as PSRule's maps were re-serialized
in the shared data, all in one deflated zip (`data/builtin.zip`, read lazily one member at a
time, so a scan that assigns a few definitions never parses the rest). `index.json` in the zip
names every definition and initiative with its category, so listing and `--policy-set NAME`
need no parsing either. `tests/policy/test_builtin_data.py` fails when the zip is stale.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data")
ZIP = DATA / "builtin.zip"
# zip members get a fixed timestamp so a rebuild from the same data is byte-identical
_EPOCH = (2026, 4, 29, 0, 0, 0)


def _entry(doc: dict[str, Any], member: str) -> dict[str, Any]:
    props = doc.get("properties") or {}
    meta = props.get("metadata") or {}
    return {
        "path": member,
        "display_name": props.get("displayName", ""),
        "category": meta.get("category", ""),
        "deprecated": bool(meta.get("deprecated")),
        "preview": bool(meta.get("preview")),
    }


def build(shared: Path) -> bytes:
    """The zip's bytes for the data in `shared` (the ../shared/policy folder)."""
    members: list[tuple[str, bytes]] = []
    index: dict[str, dict[str, Any]] = {"definitions": {}, "initiatives": {}}
    for kind in ("definitions", "initiatives"):
        for path in sorted((shared / kind).glob("*/*.json")):
            member = f"{kind}/{path.parent.name}/{path.name}"
            raw = path.read_bytes()
            doc = json.loads(raw)
            index[kind][doc["name"].lower()] = _entry(doc, member)
            members.append((member, raw))
    for path in sorted((shared / "aliases").glob("*.json")):
        members.append((f"aliases/{path.name.lower()}", path.read_bytes()))
    members.append(("index.json", json.dumps(index, indent=0, sort_keys=True).encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    shared = Path(args[0]) if args else Path(__file__).resolve().parents[3].parent / "shared" / "policy"
    if not (shared / "definitions").is_dir():
        print(f"no policy data in {shared}", file=sys.stderr)
        return 2
    data = build(shared)
    ZIP.write_bytes(data)
    print(f"wrote {ZIP} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
