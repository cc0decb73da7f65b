"""Reading JSON the way ARM does, and finding the line of any value in it.

ARM accepts `//` and `/* */` comments and raw newlines inside strings; strict JSON does not.
Parsing stays on the C parser (`json.loads(strict=False)` already allows raw control characters
in strings) and only strips comments when the fast path fails, so the common case costs nothing.

Line numbers are needed only for findings, so the position index is built lazily, once per file,
by a small tokenizer that records the JSON pointer of every value.
"""

from __future__ import annotations

import json
import re
from typing import Any


class JsonTextError(ValueError):
    """The file is not JSON (even with ARM's comment allowance); the message says where."""


def loads(text: str) -> Any:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError as first:
        stripped = strip_comments(text)
        if stripped == text:
            raise JsonTextError(f"line {first.lineno} column {first.colno}: {first.msg}") from None
        try:
            return json.loads(stripped, strict=False)
        except json.JSONDecodeError as err:
            raise JsonTextError(f"line {err.lineno} column {err.colno}: {err.msg}") from None


def strip_comments(text: str) -> str:
    """Blank out comments outside strings, keeping every newline so line numbers stay true."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    start = 0
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
            continue
        if c == '"':
            in_string = True
            i += 1
            continue
        if c == "/" and i + 1 < n and text[i + 1] in "/*":
            out.append(text[start:i])
            if text[i + 1] == "/":
                end = text.find("\n", i)
                end = n if end < 0 else end
                out.append(" " * (end - i))
            else:
                end = text.find("*/", i + 2)
                end = n if end < 0 else end + 2
                out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            start = i
            continue
        i += 1
    out.append(text[start:])
    return "".join(out)


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|//[^\n]*|/\*.*?\*/|[^\s{}\[\]:,"/]+', re.DOTALL
)


class LineIndex:
    """JSON pointer -> (line, column) for every value and key in one file (1-based)."""

    def __init__(self, text: str) -> None:
        self._positions: dict[str, tuple[int, int]] = {}
        self._build(text)

    def get(self, pointer: str) -> tuple[int, int] | None:
        return self._positions.get(pointer)

    def nearest(self, pointer: str) -> tuple[int, int] | None:
        """The position of the pointer, or of its closest ancestor that exists in the file."""
        while True:
            pos = self._positions.get(pointer)
            if pos is not None or not pointer:
                return pos
            pointer = pointer.rsplit("/", 1)[0]

    def _build(self, text: str) -> None:
        # Line starts, to turn offsets into (line, column) with a bisect.
        import bisect

        starts = [0] + [m.end() for m in re.finditer("\n", text)]

        def pos(offset: int) -> tuple[int, int]:
            line = bisect.bisect_right(starts, offset)
            return line, offset - starts[line - 1] + 1

        # Stack of containers: [kind, pointer, next index or pending key].
        stack: list[list[Any]] = []
        expect_key = False
        pending_key: str | None = None
        positions = self._positions
        for m in _TOKEN.finditer(text):
            tok = m.group()
            c = tok[0]
            if c == "/" and len(tok) > 1 and tok[1] in "/*":
                continue
            if c in ",:":
                if c == "," and stack and stack[-1][0] == "o":
                    expect_key = True
                continue
            if c in "}]":
                if stack:
                    stack.pop()
                expect_key = False
                continue
            if stack and stack[-1][0] == "o" and expect_key:
                if c == '"':
                    pending_key = json.loads(tok, strict=False)
                    pointer = stack[-1][1] + "/" + escape_pointer_token(pending_key)
                    positions[pointer] = pos(m.start())
                expect_key = False
                continue
            # A value: work out its pointer.
            if not stack:
                pointer = ""
            elif stack[-1][0] == "o":
                pointer = stack[-1][1] + "/" + escape_pointer_token(pending_key or "")
            else:
                pointer = stack[-1][1] + "/" + str(stack[-1][2])
                stack[-1][2] += 1
            if stack and stack[-1][0] == "a" or not stack:
                positions[pointer] = pos(m.start())
            if c == "{":
                stack.append(["o", pointer, 0])
                expect_key = True
            elif c == "[":
                stack.append(["a", pointer, 0])
