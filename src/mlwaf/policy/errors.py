"""The two ways policy evaluation goes wrong, kept apart because Azure treats them apart.

An *evaluation error* happens while a rule runs on a resource (a function fails, `less` compares
a number with a string): Azure then fails the evaluation, which is an implicit deny and a
non-compliant result, so mlwaf reports the outcome Error and says so. A *policy input error* is
a definition, initiative, assignment or exemption that cannot be read or used (bad JSON, a
required parameter without a value, a value outside `allowedValues`): Azure would reject it
when it is created, so mlwaf reports it like any other input it could not read, naming the
file and the JSON pointer.
"""

from __future__ import annotations

from mlwaf.model import InputError


class EvaluationError(Exception):
    """A rule failed on a resource; Azure treats a failed evaluation as non-compliant (deny)."""


class PolicyInputError(Exception):
    def __init__(self, message: str, source: str = "", pointer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.pointer = pointer

    def __str__(self) -> str:
        where = self.source or "policy"
        if self.pointer:
            where += f" at {self.pointer}"
        return f"{where}: {self.message}"

    def to_input_error(self) -> InputError:
        message = f"{self.message} (at {self.pointer})" if self.pointer else self.message
        return InputError(self.source or "policy", message, pointer=self.pointer or None)
