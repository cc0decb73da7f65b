"""mlwaf's exit codes, for every command (scan, baseline, diff, history, policy test).

  0  done; the gate (if any) passed;
  1  the gate failed (`scan`, `diff --fail-on-new`), or policy unit tests failed (`policy test`);
  2  usage or input error: nothing was scanned or nothing was assessed (no check ran on any
     resource: an empty folder, only .bicep files, only a parameter file, no check selected);
  3  incomplete: some inputs or calls could not be read (the report says which);
  4  mlwaf itself failed: an internal error, a bug to report, never a finding. Not 1 (a pipeline
     would read it as "the estate failed the gate"), nor 2 or 3, which say something about the
     inputs.
When several apply: 4, then 2, then 1, then 3. With no gate options, findings alone never give 1.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERNAL = 4
