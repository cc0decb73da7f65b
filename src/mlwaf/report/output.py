"""Report files: where a scan's reports go, each written whole or not at all.

A report is written into a temporary file beside its target, then renamed over it: a report
found after a failed run never passes for this run's. A reporter that fails is an internal
error: the reports written before it are written again saying the scan is incomplete (the
error in `errors`, the gate at exit code 4), so none of them passes for a complete scan.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlwaf.report import FORMATS, ReportOptions, format_named

if TYPE_CHECKING:
    from mlwaf.results import ScanResult

BASENAME = "mlwaf"
STDOUT = Path("-")


class OutputError(ValueError):
    """A place a report cannot be written: the message names the option and the path."""


def target(name: str, output: Path | None, output_dir: Path) -> Path:
    """Where the report of format `name` goes: `--output`, else `<output-dir>/mlwaf.<ext>`."""
    return output if output is not None else output_dir / f"{BASENAME}.{format_named(name).extension}"


def own_files(output: Path | None, output_dir: Path) -> list[Path]:
    """The files this run writes (every format's, in case an earlier run wrote others): a scan of
    a folder that holds them never reads them as input."""
    own = [target(name, None, output_dir) for name in FORMATS]
    return own + ([output] if output is not None and output != STDOUT else [])


def check_writable(output: Path | None, output_dir: Path) -> None:
    """Raise OutputError, naming the path, when a report could not be written there: before the
    scan, not after minutes of it. The folder is created now (as writing would), so what is
    checked is what will be used."""
    if output == STDOUT:
        return
    folder = output.parent if output is not None else output_dir
    option = "--output" if output is not None else "--output-dir"
    shown = output if output is not None else output_dir
    if output is not None and output.is_dir():
        raise OutputError(f"--output {output} is a folder; give a file name (or use --output-dir)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{option} {shown}: {folder} is a file, not a folder") from None
    except OSError as err:
        raise OutputError(f"{option} {shown}: cannot create {folder} ({err.strerror or err})") from None
    if not os.access(folder, os.W_OK | os.X_OK) or (
        output is not None and output.exists() and not os.access(output, os.W_OK)
    ):
        raise OutputError(f"{option} {shown}: not writable")


def write_all(
    result: ScanResult, formats: Sequence[str], output: Path | None, output_dir: Path, options: ReportOptions
) -> list[str]:
    """Write each report (to stdout with `--output -`); returns the files written. A reporter
    that fails: the reports already written are rewritten as incomplete, then the error goes on."""
    written: list[tuple[str, Path]] = []
    for name in formats:
        reporter = format_named(name).reporter()
        if output == STDOUT:
            reporter.write(result, sys.stdout, options)
            continue
        path = target(name, output, output_dir)
        try:
            _write_whole(path, name, result, options)
        except Exception as err:
            _say_incomplete(result, written, name, err, options)
            raise
        written.append((name, path))
    return [str(path) for _, path in written]


def _write_whole(path: Path, name: str, result: ScanResult, options: ReportOptions) -> None:
    """One report into a temporary file beside `path`, then renamed over it. On failure neither
    the partial file nor an older report of the same name is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            format_named(name).reporter().write(result, out, options)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise


def _say_incomplete(
    result: ScanResult, written: list[tuple[str, Path]], failed: str, err: Exception, options: ReportOptions
) -> None:
    """Rewrite the reports already written with the internal error in `errors` and the gate."""
    from mlwaf.model import InputError

    what = f"{type(err).__name__}: {err}"
    message = (
        f"mlwaf stopped with an internal error while writing the {failed} report ({what}); the scan is "
        f"incomplete: the {failed} report and those after it were not written"
    )
    incomplete = dataclasses.replace(
        result,
        errors=[*result.errors, InputError(path=f"report: {failed}", message=message)],
        gate=result.gate.internal_error(message),
    )
    kept = []
    for name, path in written:
        try:
            _write_whole(path, name, incomplete, options)
            kept.append(str(path))
        except Exception:  # noqa: BLE001 - removed rather than left saying the scan was complete
            pass
    err.add_note(
        f"while writing the {failed} report; "
        + (f"{', '.join(kept)} now say the scan is incomplete" if kept else "no report was written")
    )
