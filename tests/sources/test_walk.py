"""Walking folders: odd and unreadable files are listed with a reason, never silently left out,
never a hang; symbolic links are followed once and loops detected; what the user excludes and
mlwaf's own outputs are listed as skipped, never read (docs/reliability.md)."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.sources import ReadOptions, SourceResult, documents, read_paths

WS_TYPE = "Microsoft.MachineLearningServices/workspaces"
SUB = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg1/providers/"


def _ws(name: str) -> str:
    return json.dumps({"id": f"{SUB}{WS_TYPE}/{name}", "name": name, "type": WS_TYPE,
                       "properties": {"publicNetworkAccess": "Disabled"}})


def _put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _read(paths: list[Path], root: Path, seconds: float = 20, **options) -> SourceResult:
    """read_paths on a thread, so a scan that hangs (a FIFO opened for reading) fails the test
    instead of hanging it."""
    out: list[SourceResult] = []
    worker = threading.Thread(target=lambda: out.append(read_paths(paths, ReadOptions(root=root, **options))),
                              daemon=True)
    worker.start()
    worker.join(seconds)
    assert out, f"the scan did not finish within {seconds} s"
    return out[0]


def _skipped(got: SourceResult) -> dict[str, str]:
    return {s.path: s.note or "" for s in got.scanned if s.kind == "skipped"}


def _errors(got: SourceResult) -> dict[str, str]:
    return {e.path: e.message for e in got.errors}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_fifo_is_listed_never_opened(tmp_path):
    """Was: the scan opened it and hung forever."""
    _put(tmp_path / "ws.json", _ws("ws1"))
    os.mkfifo(tmp_path / "pipe.json")
    got = _read([tmp_path], tmp_path)
    assert "named pipe (FIFO)" in _skipped(got)["pipe.json"]
    assert [r.name for r in got.resources] == ["ws1"]
    named = _read([tmp_path / "pipe.json"], tmp_path)
    assert "named pipe (FIFO), not a file" in _errors(named)["pipe.json"]


def test_a_socket_is_listed_never_opened(tmp_path):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no UNIX sockets on this system")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s.json"))
        got = _read([tmp_path], tmp_path)
        assert "a socket" in _skipped(got)["s.json"]
        assert "a socket, not a file" in _errors(_read([tmp_path / "s.json"], tmp_path))["s.json"]
    finally:
        sock.close()


def test_a_device_named_on_the_command_line_is_an_error(tmp_path):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    got = _read([Path("/dev/zero")], tmp_path)
    assert "a character device, not a file" in _errors(got)["/dev/zero"]


def _deny_listing(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """chmod 000 does not stop root, and tests may run as root: there, os.scandir is made to
    refuse the folder as the kernel would for anyone else."""
    folder.chmod(0)
    if os.geteuid() == 0:
        real = os.scandir

        def scandir(path: object = ".") -> object:
            if os.path.abspath(os.fspath(path)) == str(folder):  # type: ignore[arg-type]
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", scandir)


def test_a_folder_that_cannot_be_listed_is_an_error(tmp_path, monkeypatch):
    """Was: os.walk's default ignored the error, so the folder and all it held vanished."""
    _put(tmp_path / "ws.json", _ws("ws1"))
    locked = tmp_path / "locked"
    _put(locked / "ws2.json", _ws("ws2"))
    _deny_listing(monkeypatch, locked)
    try:
        got = _read([tmp_path], tmp_path)
    finally:
        locked.chmod(0o755)
    assert "cannot list folder: Permission denied" in _errors(got)["locked"]
    assert [r.name for r in got.resources] == ["ws1"]


def test_an_unreadable_file_is_an_error(tmp_path, monkeypatch):
    path = _put(tmp_path / "ws.json", _ws("ws1"))
    path.chmod(0)
    if os.geteuid() == 0:
        real = os.open

        def deny(p: object, flags: int, *args: object) -> int:
            if os.path.abspath(os.fspath(p)) == str(path):  # type: ignore[arg-type]
                raise PermissionError(13, "Permission denied", str(p))
            return real(p, flags, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", deny)
    try:
        got = _read([tmp_path], tmp_path)
    finally:
        path.chmod(0o644)
    assert _errors(got) == {"ws.json": "cannot read file: Permission denied"}


def test_a_symlinked_folder_is_followed(tmp_path):
    """Was: os.walk does not follow links, so a linked folder was silently not scanned."""
    outside = tmp_path / "outside"
    _put(outside / "ws.json", _ws("ws-linked"))
    scan = tmp_path / "scan"
    _put(scan / "ws.json", _ws("ws1"))
    (scan / "linked").symlink_to(outside, target_is_directory=True)
    got = _read([scan], scan)
    assert sorted(r.name for r in got.resources) == ["ws-linked", "ws1"]
    assert sorted(r.origin.path for r in got.resources) == ["linked/ws.json", "ws.json"]


def test_symlink_loops_and_second_routes_are_listed_not_followed(tmp_path):
    scan = tmp_path / "scan"
    _put(scan / "a" / "ws.json", _ws("ws1"))
    (scan / "a" / "up").symlink_to(scan, target_is_directory=True)  # a loop
    (scan / "b").symlink_to(scan / "a", target_is_directory=True)  # the same folder again
    (scan / "a" / "again.json").symlink_to(scan / "a" / "ws.json")  # the same file again
    (scan / "self.json").symlink_to(scan / "self.json")  # a link to itself
    (scan / "gone.json").symlink_to(scan / "nowhere.json")
    got = _read([scan], scan)
    assert [r.name for r in got.resources] == ["ws1"]
    skipped = _skipped(got)
    assert "symbolic link loop" in skipped["a/up"]
    assert skipped["b"] == "the same folder as a, already scanned"
    # The first route in the walk's order (by name) reads the file; the second says where it was read.
    assert [r.origin.path for r in got.resources] == ["a/again.json"]
    assert skipped["a/ws.json"] == "the same file as a/again.json, already read"
    errors = _errors(got)
    assert "symbolic link loop" in errors["self.json"]
    assert "broken symbolic link" in errors["gone.json"]


def test_a_folder_named_like_a_json_file_is_walked(tmp_path):
    _put(tmp_path / "x.json" / "ws.json", _ws("ws1"))
    got = _read([tmp_path], tmp_path)
    assert [r.origin.path for r in got.resources] == ["x.json/ws.json"]
    named = _read([tmp_path / "x.json"], tmp_path)
    assert [r.name for r in named.resources] == ["ws1"] and named.errors == []


def test_a_file_removed_while_scanning_is_an_error(tmp_path, monkeypatch):
    _put(tmp_path / "a.json", _ws("ws1"))
    _put(tmp_path / "b.json", _ws("ws2"))
    real = documents.read_document

    def read_and_remove(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "a.json":
            (tmp_path / "b.json").unlink()
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(documents, "read_document", read_and_remove)
    got = _read([tmp_path], tmp_path)
    assert [r.name for r in got.resources] == ["ws1"]
    assert "removed while scanning" in _errors(got)["b.json"]


def test_files_over_the_size_limit_are_not_read(tmp_path):
    _put(tmp_path / "ws.json", _ws("ws1"))
    big = tmp_path / "big.json"
    with big.open("wb") as f:  # sparse: one byte over the default limit on paper, nothing on disk
        f.truncate(256 * 1024**2 + 1)
    got = _read([tmp_path], tmp_path)
    assert "file is 268,435,457 bytes, over the 268,435,456-byte input limit: not read" in _errors(got)["big.json"]
    small = _read([tmp_path / "ws.json"], tmp_path, max_file_bytes=100)
    assert "bytes, over the 100 bytes input limit" in _errors(small)["ws.json"]


def test_tool_folders_are_listed_once_not_walked(tmp_path):
    _put(tmp_path / "node_modules" / "pkg" / "package.json", '{"name": "x"}')
    _put(tmp_path / ".git" / "config.json", "{}")
    _put(tmp_path / "ws.json", _ws("ws1"))
    got = _read([tmp_path], tmp_path)
    assert set(_skipped(got)) == {".git", "node_modules"}
    assert "tool folder" in _skipped(got)["node_modules"]


def test_exclude_patterns_and_mlwafignore(tmp_path):
    _put(tmp_path / "ws.json", _ws("ws1"))
    _put(tmp_path / "legacy" / "old.json", _ws("old"))
    _put(tmp_path / "env" / "dev.test.json", _ws("dev"))
    _put(tmp_path / "env" / "keep.test.json", _ws("keep"))
    _put(tmp_path / "env" / "prod.json", _ws("prod"))
    _put(tmp_path / "env" / ".mlwafignore", "*.test.json\n!keep.test.json\n")
    got = _read([tmp_path], tmp_path, exclude=["legacy/"])
    assert sorted(r.name for r in got.resources) == ["keep", "prod", "ws1"]
    skipped = _skipped(got)
    assert skipped["legacy"].startswith("excluded by --exclude")
    assert skipped["env/dev.test.json"] == "excluded by .mlwafignore"
    assert skipped["env/.mlwafignore"] == "not a JSON file"


def test_a_repository_ignore_file_applies_to_a_scan_of_a_subfolder(tmp_path):
    (tmp_path / ".git").mkdir()
    _put(tmp_path / ".mlwafignore", "infra/generated/\n")
    _put(tmp_path / "infra" / "ws.json", _ws("ws1"))
    _put(tmp_path / "infra" / "generated" / "ws.json", _ws("gen"))
    got = _read([tmp_path / "infra"], tmp_path / "infra")
    assert [r.name for r in got.resources] == ["ws1"]
    assert _skipped(got)["generated"] == "excluded by .mlwafignore"


def test_named_files_are_never_excluded(tmp_path):
    path = _put(tmp_path / "legacy" / "old.json", _ws("old"))
    got = _read([path], tmp_path, exclude=["legacy/", "*.json"])
    assert [r.name for r in got.resources] == ["old"]


def test_scanning_a_repository_root_reads_only_arm(tmp_path, monkeypatch):
    """Was: package.json, .vscode/settings.json, renovate.json and mlwaf's own previous reports
    and baseline were read as inputs, and the scan exited 3."""
    repo = tmp_path / "repo"
    _put(repo / "package.json", json.dumps({"name": "app", "type": "module", "version": "1.0.0"}))
    _put(repo / ".vscode" / "settings.json", '{\n  // editor\n  "editor.tabSize": 2,\n}\n')
    _put(repo / "renovate.json", json.dumps({"$schema": "https://docs.renovatebot.com/renovate-schema.json"}))
    _put(repo / "infra" / "ws.json", _ws("ws1"))
    _put(repo / "mlwaf.toml", 'baseline = "mlwaf-baseline.json"\n')
    monkeypatch.chdir(repo)
    runner = CliRunner()
    first = runner.invoke(app, ["baseline", "create", "."], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    runs = [runner.invoke(app, ["scan", ".", "--reproducible"], catch_exceptions=False) for _ in range(2)]
    assert [r.exit_code for r in runs] == [0, 0], runs[1].output
    report = json.loads((repo / "reports" / "mlwaf.json").read_text())
    assert report["errors"] == []
    notes = {s["path"]: s.get("note", "") for s in report["scanned"] if s["kind"] == "skipped"}
    assert notes["package.json"].startswith("not ARM")
    assert notes[".vscode/settings.json"].startswith("not ARM, and not valid JSON")
    assert notes["renovate.json"].startswith("not ARM")
    assert "own output" in notes["mlwaf-baseline.json"]
    assert "own output" in notes["reports/mlwaf.json"] and "own output" in notes["reports/mlwaf.sarif"]
    # A copy elsewhere is still recognised by its content.
    copy = repo / "old-report.json"
    copy.write_text((repo / "reports" / "mlwaf.json").read_text())
    again = runner.invoke(app, ["scan", ".", "--reproducible", "--exclude", "reports/"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    notes = {s["path"]: s.get("note", "") for s in json.loads((repo / "reports" / "mlwaf.json").read_text())["scanned"]
             if s["kind"] == "skipped"}
    assert "an mlwaf report: mlwaf's own output" in notes["old-report.json"]


def test_exclude_in_the_config_file(tmp_path, monkeypatch):
    _put(tmp_path / "infra" / "ws.json", _ws("ws1"))
    _put(tmp_path / "infra" / "legacy" / "old.json", _ws("old"))
    _put(tmp_path / "mlwaf.toml", 'exclude = ["legacy/"]\nmax-file-size = "1MiB"\n')
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["scan", "infra", "-f", "json", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert [r["name"] for r in report["resources"]] == ["ws1"]


def test_a_bad_max_file_size_is_a_config_error(tmp_path, monkeypatch):
    _put(tmp_path / "mlwaf.toml", 'max-file-size = "lots"\n')
    _put(tmp_path / "ws.json", _ws("ws1"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["scan", "ws.json"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "'max-file-size' must be a size" in result.output


def test_a_deep_folder_tree_does_not_exhaust_recursion(tmp_path):
    folder = tmp_path
    for _ in range(300):
        folder = folder / "d"
    _put(folder / "ws.json", _ws("deep"))
    got = _read([tmp_path], tmp_path)
    assert [r.name for r in got.resources] == ["deep"]
