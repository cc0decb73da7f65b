"""Reading one input file so that nothing can hang the scan, exhaust its memory or crash it.

Every file a source reads (a scanned document, a parameter file, a linked template, a recording
manifest) comes through `read_json`: a named pipe, a socket or a device is never opened for
reading (opening a FIFO blocks until a writer appears: the scan would hang forever), a file
larger than the size limit is never read into memory, and whatever goes wrong is a `ReadFailure`
whose message is the reason shown in the report. docs/reliability.md lists each case.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from mlwaf import jsontext

# The largest input file read, in bytes (`max-file-size` in mlwaf.toml). A parsed JSON file
# takes five to ten times its size in memory; 256 MiB is a whole-estate Resource Graph dump of
# about 150,000 resources, far above any one template or export page.
MAX_FILE_BYTES = 256 * 1024 * 1024


class ReadFailure(Exception):
    """A file that could not be read; the message says why, for the report's `errors`.
    `syntax`: the file was read but is not JSON text at all (see documents.read_document)."""

    def __init__(self, message: str, *, syntax: bool = False) -> None:
        super().__init__(message)
        self.syntax = syntax


def describe_mode(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def size_text(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def os_reason(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "no such file (removed while scanning?)"
    return err.strerror or str(err)


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; ReadFailure otherwise.

    The type is checked before opening and again on the open descriptor (the path may change
    in between), and the open itself never blocks."""
    try:
        what = describe_mode(os.stat(path).st_mode)
        if what is not None:
            raise ReadFailure(f"{what}, not a file: not read")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except OSError as err:
        raise ReadFailure(f"cannot read file: {os_reason(err)}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        what = describe_mode(info.st_mode)
        if what is not None:
            raise ReadFailure(f"{what}, not a file: not read")
        if info.st_size > limit:
            raise ReadFailure(_too_large(info.st_size, limit))
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise ReadFailure(f"cannot read file: {os_reason(err)}") from None
    if len(data) > limit:  # it grew while being read
        raise ReadFailure(_too_large(len(data), limit))
    return data


def _too_large(size: int, limit: int) -> str:
    shown, cap = size_text(size), size_text(limit)
    if shown == cap:  # just over: the rounded sizes read the same
        shown, cap = f"{size:,} bytes", f"{limit:,}-byte"
    return f"file is {shown}, over the {cap} input limit: not read (raise max-file-size in mlwaf.toml to read it)"


# Files up to this size are parsed strictly (duplicate keys refused): the size people write by
# hand. Larger ones are machine-written exports, unless they are templates (documents.py).
HAND_WRITTEN_BYTES = 64 * 1024


def read_json(path: Path, limit: int = MAX_FILE_BYTES, *, strict: bool | None = None) -> tuple[str, Any]:
    """(text, parsed value) of a JSON file, read as ARM reads it (mlwaf.jsontext). `strict`
    (default: for files the size people write by hand) refuses duplicate keys."""
    raw = read_bytes(path, limit)
    if strict is None:
        strict = len(raw) <= HAND_WRITTEN_BYTES
    try:
        text = jsontext.decode(raw)
    except jsontext.JsonTextError as err:
        raise ReadFailure(str(err)) from None
    try:
        return text, jsontext.loads(text, strict=strict)
    except jsontext.JsonTextError as err:
        raise ReadFailure(f"not valid JSON: {err}", syntax=err.syntax) from None
