"""Which files a scan reads: every file named, and every file under every folder named, each
accounted for.

Walking never silently leaves anything out, never hangs and never loops:
- a folder that cannot be listed is an error (what it holds is unknown);
- a symbolic link is followed, once: a folder or file already reached (through another link,
  or as an ancestor: a loop) is listed as skipped with where it was read, a link to nothing is
  an error;
- a named pipe, a socket or a device is listed as skipped and never opened (reading a FIFO blocks
  until a writer appears: the scan would hang); named on the command line it is an error;
- what `--exclude`, `exclude` in mlwaf.toml or a `.mlwafignore` (gitignore syntax, read with
  `pathspec`) leaves out, tool folders (.git, node_modules, virtual environments) and mlwaf's own
  outputs (the reports of --output-dir, --output, the baseline) are listed as skipped, a folder
  once for all it holds.

Files are yielded in a stable order (a folder's files by name, then its folders by name), so
reports are deterministic.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwaf.sources.files import describe_mode, os_reason

IGNORE_FILE = ".mlwafignore"
# Folders no infrastructure lives in: version control, dependencies, caches.
TOOL_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache",
             ".ruff_cache", ".tox"}


@dataclass(frozen=True, slots=True)
class Found:
    """A regular file to read; `explicit` when named on the command line."""

    path: Path
    explicit: bool


@dataclass(frozen=True, slots=True)
class Passed:
    """A path not read, and why: skipped (`error` False) or an input error."""

    path: Path
    reason: str
    error: bool = False


@dataclass
class Exclusions:
    """What the user asked not to scan: glob patterns (gitignore syntax) from the command line
    and mlwaf.toml, and mlwaf's own output files."""

    patterns: Sequence[str] = ()
    outputs: Sequence[Path] = ()
    _spec: Any = field(default=None, init=False, repr=False)
    _outputs: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.patterns:
            self._spec = _compile(self.patterns)
        self._outputs = {os.path.abspath(p) for p in self.outputs}

    def own_output(self, path: Path) -> bool:
        return os.path.abspath(path) in self._outputs

    def matches(self, rel: str) -> bool:
        return self._spec is not None and bool(self._spec.match_file(rel))


def _compile(lines: Iterable[str]) -> Any:
    import pathspec  # only when there is something to match: keeps a plain scan's start-up lean

    return pathspec.GitIgnoreSpec.from_lines(lines)


class _IgnoreFile:
    """One .mlwafignore: its patterns apply below its folder, as .gitignore's do."""

    def __init__(self, folder: Path, lines: list[str]) -> None:
        self.folder = folder
        self.spec = _compile(lines)

    def verdict(self, path: Path, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by a `!pattern`; None: not mentioned."""
        try:
            rel = path.relative_to(self.folder).as_posix()
        except ValueError:
            return None
        return self.spec.check_file(rel + "/" if is_dir else rel).include


def _read_ignore(folder: Path) -> tuple[_IgnoreFile | None, Passed | None]:
    path = folder / IGNORE_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as err:
        reason = os_reason(err) if isinstance(err, OSError) else "not UTF-8 text"
        return None, Passed(path, f"cannot read the ignore file: {reason}; nothing was excluded by it", error=True)
    return _IgnoreFile(folder, text.splitlines()), None


def _parent_ignores(top: Path) -> list[_IgnoreFile]:
    """The .mlwafignore files above a walked folder, up to the top of its git repository (as
    git reads .gitignore): a repository's ignore file applies to a scan of any folder in it."""
    chain: list[Path] = []
    for folder in Path(os.path.abspath(top)).parents:
        chain.append(folder)
        if (folder / ".git").exists():
            break
    else:
        return []  # not in a repository: only the walked folders' own ignore files
    out = []
    for folder in reversed(chain):
        ignore, _ = _read_ignore(folder)
        if ignore is not None:
            out.append(ignore)
    return out


def walk(
    paths: Iterable[Path], exclusions: Exclusions | None = None, show: Callable[[Path], str] = Path.as_posix,
) -> Iterator[Found | Passed]:
    """`show` writes a path as reports show it (relative to the scan root), in the reasons that
    name another path."""
    exclusions = exclusions or Exclusions()
    seen = _Seen({}, {}, show)
    for path in paths:
        try:
            info = os.stat(path)
        except OSError as err:
            yield Passed(path, f"cannot read: {os_reason(err)}", error=True)
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk_folder(path, info, exclusions, seen)
        elif stat.S_ISREG(info.st_mode):
            yield seen.file(path, info, explicit=True)
        else:
            yield Passed(path, f"{describe_mode(info.st_mode)}, not a file: not read", error=True)


@dataclass
class _Seen:
    """Every file and folder read so far, by (device, inode): each is read once, whatever route."""

    files: dict[tuple[int, int], Path]
    dirs: dict[tuple[int, int], Path]
    show: Callable[[Path], str]

    def file(self, path: Path, info: os.stat_result, *, explicit: bool) -> Found | Passed:
        key = (info.st_dev, info.st_ino)
        if key in self.files:
            return Passed(path, f"the same file as {self.show(self.files[key])}, already read")
        self.files[key] = path
        return Found(path, explicit)


def _walk_folder(top: Path, info: os.stat_result, exclusions: Exclusions, seen: _Seen) -> Iterator[Found | Passed]:
    seen_dirs, show = seen.dirs, seen.show
    key = (info.st_dev, info.st_ino)
    if key in seen_dirs:
        yield Passed(top, f"the same folder as {show(seen_dirs[key])}, already scanned")
        return
    seen_dirs[key] = top
    cwd = Path(os.path.abspath("."))
    # Depth first with an explicit stack (a deep tree must not exhaust Python's recursion):
    # (folder, the (device, inode) of it and its ancestors, the ignore files that apply).
    stack: list[tuple[Path, frozenset[tuple[int, int]], list[_IgnoreFile]]] = [
        (top, frozenset({key}), _parent_ignores(top))
    ]
    while stack:
        folder, ancestors, ignores = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            yield Passed(folder, f"cannot list folder: {os_reason(err)}: what it holds was not scanned", error=True)
            continue
        if any(e.name == IGNORE_FILE for e in entries):
            ignore, problem = _read_ignore(folder)
            if problem is not None:
                yield problem
            if ignore is not None:
                ignores = [*ignores, ignore]
        subfolders: list[tuple[Path, tuple[int, int]]] = []
        for entry in entries:
            path = Path(entry.path)
            link = False
            try:
                link = entry.is_symlink()
                st = os.stat(path) if link else entry.stat(follow_symlinks=False)
            except OSError as err:
                if link:
                    target = _link_target(path)
                    what = "a symbolic link loop" if _is_loop(err) else f"a broken symbolic link (to {target})"
                    yield Passed(path, f"{what}: nothing read", error=True)
                else:
                    yield Passed(path, f"cannot read: {os_reason(err)}", error=True)
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            why = _excluded(path, is_dir, top, cwd, exclusions, ignores, entry.name)
            if why is not None:
                yield Passed(path, why)
                continue
            ident = (st.st_dev, st.st_ino)
            if is_dir:
                if ident in ancestors:
                    yield Passed(path, f"a symbolic link loop (to {_link_target(path)}, a folder it is in): "
                                       "not followed again")
                elif ident in seen_dirs:
                    yield Passed(path, f"the same folder as {show(seen_dirs[ident])}, already scanned")
                else:
                    seen_dirs[ident] = path
                    subfolders.append((path, ident))
            elif stat.S_ISREG(st.st_mode):
                yield seen.file(path, st, explicit=False)
            else:
                yield Passed(path, f"{describe_mode(st.st_mode)}, not a file: not read")
        for path, ident in reversed(subfolders):
            stack.append((path, ancestors | {ident}, ignores))


def _excluded(
    path: Path, is_dir: bool, top: Path, cwd: Path, exclusions: Exclusions, ignores: list[_IgnoreFile], name: str,
) -> str | None:
    if exclusions.own_output(path):
        return "mlwaf's own output (a report or the baseline of this run): never read as input"
    if is_dir and name in TOOL_DIRS:
        return "a tool folder (version control, dependencies or caches): not walked"
    verdict = None
    for ignore in ignores:
        said = ignore.verdict(path, is_dir)
        if said is not None:
            verdict = said
    if verdict:
        return f"excluded by {IGNORE_FILE}"
    if exclusions.patterns:
        suffix = "/" if is_dir else ""
        for base in (Path(os.path.abspath(top)), cwd):
            try:
                rel = Path(os.path.abspath(path)).relative_to(base).as_posix()
            except ValueError:
                continue
            if exclusions.matches(rel + suffix):
                return "excluded by --exclude / exclude in mlwaf.toml"
    return None


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _is_loop(err: OSError) -> bool:
    import errno

    return err.errno == errno.ELOOP
