"""Reading JSON the way ARM does, and finding the line of any value in it.

ARM accepts `//` and `/* */` comments and raw newlines inside strings; strict JSON does not.
Parsing stays on the C parser (`json.loads(strict=False)` already allows raw control characters
in strings) and only strips comments when the fast path fails, so the common case costs nothing.

What ARM (or JSON itself) rejects is rejected here too, as a `JsonTextError` for that one file,
so nothing downstream ever sees it (docs/reliability.md lists each case and its test):
- nesting deeper than `MAX_DEPTH` levels: every walker after the parser (template evaluation,
  redaction, the report writers) may then recurse freely;
- a key written twice in one object (checked where JSON is written by hand: see `loads`), since
  which one Azure would use is not defined and Python would silently keep the last;
- `NaN` and `Infinity` (not JSON, RFC 8259), numbers too large for a double or too long for an
  integer;
- a lone UTF-16 surrogate escape (`"\\ud800"`): no UTF-8 report could carry it.

Line numbers are needed only for findings, so the position index is built lazily, once per file,
by a small tokenizer that records the JSON pointer of every value.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, cast

# Deepest real ARM in the corpus: 18 levels (nested deployments of AVM modules add about six a
# level). 128 leaves room for more, and keeps every recursive walker of parsed data (two Python
# frames a level at most) far below the interpreter's recursion limit of 1,000.
MAX_DEPTH = 128


class JsonTextError(ValueError):
    """The file is not JSON (even with ARM's comment allowance), or JSON mlwaf refuses; the
    message says where. `syntax`: the text is not JSON at all (rather than refused JSON)."""

    def __init__(self, message: str, *, syntax: bool = False) -> None:
        super().__init__(message)
        self.syntax = syntax


def decode(raw: bytes) -> str:
    """Bytes to text as JSON allows: UTF-8 (with or without a BOM), UTF-16 or UTF-32, told apart
    by the BOM or the zero bytes of the first characters (RFC 4627, `json.detect_encoding`).
    PowerShell 5 writes UTF-16 with a BOM by default, so `ConvertTo-Json | Out-File` reads."""
    encoding = json.detect_encoding(raw)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        raise JsonTextError(
            f"not {encoding.upper().replace('-SIG', '')} text: byte 0x{raw[err.start]:02x} at offset {err.start} "
            "(JSON files must be UTF-8, UTF-16 or UTF-32)"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def loads(text: str, *, strict: bool = False) -> Any:
    """Parse JSON text as ARM reads it. `strict` also refuses a key written twice in one object:
    that costs a hook call per object (about half the parse again), so it is asked for where
    people write JSON by hand (small files, templates, parameter files: mlwaf.sources.files),
    not on machine-written exports, whose serializers cannot repeat a key."""
    if text.startswith("\ufeff"):
        text = text[1:]
    decode = _STRICT.decode if strict else _FAST.decode
    try:
        data = _parse(text, decode)
    except json.JSONDecodeError as first:
        if not text.strip():
            raise JsonTextError("empty file: no JSON value") from None
        stripped = strip_comments(text)
        if stripped == text:
            raise JsonTextError(f"line {first.lineno} column {first.colno}: {first.msg}", syntax=True) from None
        try:
            data = _parse(stripped, decode)
        except json.JSONDecodeError as err:
            raise JsonTextError(f"line {err.lineno} column {err.colno}: {err.msg}", syntax=True) from None
    if "\\" in text and _SURROGATE_ESCAPE.search(text) is not None:  # a one-character find is a memchr
        _reject_lone_surrogates(text, data)
    return data


# --- what the parser itself is told to refuse -------------------------------------------------


class _Refused(ValueError):
    """Raised from the parser's hooks; `loads` turns it into a JsonTextError."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"key {key!r} is written twice in one object (which one counts is undefined)")
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


def _finite(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise _Refused(f"number {literal[:40]} is too large for a double")
    return value


# Python 3.11's C parser counts its nesting against the interpreter's recursion limit, so a
# lowered limit makes the parser itself stop at MAX_DEPTH: no second pass over the text. From
# 3.12 on, C recursion has its own fixed limit and the parsed value is measured instead.
_PARSER_HONOURS_LIMIT = sys.version_info < (3, 12)
# Levels of the recursion counter between the caller and the parser's first level, measured on
# 3.11 (tests/sources/test_bad_text.py): objects nested MAX_DEPTH levels parse and one more does
# not; arrays, and objects parsed without the duplicate-key hook, may reach one more.
_PARSER_FRAMES = 2


def _parse(text: str, decode: Callable[[str], Any]) -> Any:
    try:
        if _PARSER_HONOURS_LIMIT:
            data = _bounded_parse(text, decode)
        else:
            data = decode(text)
            if too_deep(data, MAX_DEPTH):
                raise RecursionError
    except RecursionError:
        raise JsonTextError(f"nested deeper than {MAX_DEPTH} levels (the limit mlwaf reads)") from None
    except _Refused as err:
        raise JsonTextError(str(err)) from None
    except ValueError as err:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        if isinstance(err, json.JSONDecodeError):
            raise
        raise JsonTextError(f"a number too long to read ({err})") from None
    return data


_FAST = json.JSONDecoder(strict=False, parse_constant=_no_constant, parse_float=_finite)
_STRICT = json.JSONDecoder(
    strict=False, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique_keys
)


def _bounded_parse(text: str, decode: Callable[[str], Any]) -> Any:
    """Parse with the recursion limit set MAX_DEPTH levels above the current depth. The limit is
    the process's, so this is safe only where no other thread runs deep at the same time:
    offline scans read files on one thread (live scans never parse through here)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_recursion_depth() + MAX_DEPTH + _PARSER_FRAMES)
    try:
        return decode(text)
    finally:
        sys.setrecursionlimit(old)


_DEPTH_IN_MESSAGE = re.compile(r"at the recursion depth (\d+)")


def _recursion_depth() -> int:
    """The interpreter's recursion counter here (3.11 counts C calls too, so Python frames alone
    undercount it): the one place it is told is the refusal of a limit below it."""
    try:
        sys.setrecursionlimit(1)
    except RecursionError as err:
        m = _DEPTH_IN_MESSAGE.search(str(err))
        if m is not None:
            return int(m.group(1))
    else:  # pragma: no cover - only where the interpreter accepts any limit
        sys.setrecursionlimit(1000)
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth + 16


def too_deep(value: Any, limit: int) -> bool:
    """True when containers nest more than `limit` levels (a scalar is level 0); iterative, so
    it never recurses itself."""
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if level > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return False


# Any escaped surrogate, paired or not: rare in ARM JSON, so the exact check below seldom runs.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _reject_lone_surrogates(text: str, data: Any) -> None:
    """A surrogate escape that is not half of a pair decodes to a string no UTF-8 file can hold.
    The file is rejected (rather than the text patched) so a report never shows a value that is
    not in the input; the parsed value is the judge, the regex only finds the line."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        m = _LONE_SURROGATE.search(text)
        where = ""
        if m is not None:
            line = text.count("\n", 0, m.start()) + 1
            where = f"line {line} column {m.start() - text.rfind(chr(10), 0, m.start())}: "
        shown = m.group(0) if m is not None else "\\udXXX"
        raise JsonTextError(
            f"{where}lone surrogate escape {shown}: half of a UTF-16 pair, not a character "
            "(no UTF-8 report could hold it)"
        ) from None


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


def unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


_WS = re.compile(r"[ \t\n\r]*")
# `_WS.match` always matches (maybe empty): typed so, for the loops that call it per item.
_ws_at = cast(Callable[[str, int], re.Match[str]], _WS.match)
# From after an object's `{` or after a member's value: the separator, then the next key and its
# colon (group 1: the key as written, quotes included), up to the value; or the closing brace.
_NEXT_MEMBER = re.compile(r'[ \t\n\r]*(?:,[ \t\n\r]*)?(?:("(?:[^"\\]|\\.)*")[ \t\n\r]*:[ \t\n\r]*|(\}))', re.S)
_DECODER = json.JSONDecoder(strict=False)
scanstring = json.decoder.scanstring  # type: ignore[attr-defined] # the C scanner json.decoder re-exports
# Line numbers are counted per block of this many characters, so a lookup scans at most one block.
_BLOCK = 1 << 13


_NO_DATA: Any = object()


class _Container:
    """What is known so far of one object or array in the text: where each member starts, and
    where to resume reading when a member not yet seen is asked for."""

    __slots__ = ("done", "members", "resume")

    def __init__(self, start: int, is_object: bool) -> None:
        # object: key -> (offset of the key, offset of the value); array: [offset of each value]
        self.members: dict[str, tuple[int, int]] | list[int] = {} if is_object else []
        self.resume = start + 1
        self.done = False


class LineIndex:
    """JSON pointer -> (line, column) of the value (array items, the root) or of its key (object
    members), 1-based.

    Only findings need lines, and only for the few pointers they name, so nothing is indexed up
    front: a lookup walks down the pointer, reading each container it passes through only as far
    as the member it needs, and skips the members before it with the C JSON scanner. What it has
    read is remembered, so later lookups in the same container resume where the last one stopped.
    The cost is at most one more C-speed pass over the parts of the file that findings point
    into, instead of a Python tokenizer over the whole file. Where a key is written twice, the
    first is found (ARM rejects duplicate keys).
    """

    def __init__(self, text: str, data: Any = _NO_DATA) -> None:
        # `data`, the parsed document when the caller has it, answers "is this pointer in the
        # file?" with dict lookups, so the text is only read up to members that exist.
        self._data = data
        if text.startswith("\ufeff"):
            text = " " + text[1:]  # same length, so offsets stay true
        self._text = text
        self._stripped = False
        self._containers: dict[int, _Container] = {}
        self._blocks: list[tuple[int, int]] | None = None
        self._seen: dict[int, tuple[int, int]] = {}
        self._asked: dict[str, Any] = {}

    def get(self, pointer: str) -> tuple[int, int] | None:
        found, offset = self._walk(pointer)
        return self._position(offset) if found and offset is not None else None

    def nearest(self, pointer: str) -> tuple[int, int] | None:
        """The position of the pointer, or of its closest ancestor that exists in the file."""
        pos = self._asked.get(pointer, _NO_DATA)
        if pos is _NO_DATA:
            _, offset = self._walk(pointer)
            pos = self._asked[pointer] = None if offset is None else self._position(offset)
        return pos

    # --- walking ----------------------------------------------------------------------------
    def _walk(self, pointer: str) -> tuple[bool, int | None]:
        """(whether the whole pointer exists, offset of the deepest part that does)."""
        try:
            return self._walk_text(pointer)
        except (json.JSONDecodeError, IndexError, ValueError):
            if self._stripped:
                return False, None
            # ARM comments: blank them out (same offsets) and walk again.
            self._stripped = True
            self._text = strip_comments(self._text)
            self._containers.clear()
            try:
                return self._walk_text(pointer)
            except (json.JSONDecodeError, IndexError, ValueError):
                return False, None

    def _walk_text(self, pointer: str) -> tuple[bool, int | None]:
        text = self._text
        value = _ws_at(text, 0).end()
        if value >= len(text):
            return False, None
        if text[value] == "/":
            raise ValueError("a comment before the root value")
        shown = value
        if not pointer:
            return True, shown
        # With the parsed data at hand, a member that is not there is known without reading the
        # text (absent properties are what most failing findings point at).
        node = self._data
        known = node is not _NO_DATA
        for token in pointer[1:].split("/"):
            opener = text[value]
            if opener == "{":
                key = unescape_pointer_token(token) if "~" in token else token
                if known:
                    if not isinstance(node, dict) or key not in node:
                        return False, shown
                    node = node[key]
                got = self._member(value, key)
            elif opener == "[" and token.isdigit():
                if known:
                    if not isinstance(node, list) or int(token) >= len(node):
                        return False, shown
                    node = node[int(token)]
                got = self._item(value, int(token))
            else:
                got = None
            if got is None:
                return False, shown
            shown, value = got
        return True, shown

    def _container(self, offset: int) -> _Container:
        c = self._containers.get(offset)
        if c is None:
            c = self._containers[offset] = _Container(offset, self._text[offset] == "{")
        return c

    def _member(self, offset: int, key: str) -> tuple[int, int] | None:
        c = self._container(offset)
        members = c.members
        assert isinstance(members, dict)
        if key in members:
            return members[key]
        text, step, decode = self._text, _NEXT_MEMBER.match, _DECODER.raw_decode
        pos = c.resume
        while not c.done:
            m = step(text, pos)
            if m is None:
                raise ValueError(f"expected a key at offset {pos}")
            quoted = m.group(1)
            if quoted is None:  # the closing brace
                c.done = True
                break
            key_at, start = m.start(1), m.end()
            name = quoted[1:-1] if "\\" not in quoted else scanstring(quoted, 1, False)[0]
            _, pos = decode(text, start)
            c.resume = pos
            if name not in members:
                members[name] = (key_at, start)
            if name == key:
                return members[name]
        return None

    def _item(self, offset: int, index: int) -> tuple[int, int] | None:
        c = self._container(offset)
        items = c.members
        assert isinstance(items, list)
        if index < len(items):
            return items[index], items[index]
        text, ws, decode = self._text, _ws_at, _DECODER.raw_decode
        pos = c.resume
        while not c.done and len(items) <= index:
            pos = ws(text, pos).end()
            ch = text[pos]
            if ch == ",":
                pos = ws(text, pos + 1).end()
                ch = text[pos]
            if ch == "]":
                c.done = True
                break
            items.append(pos)
            _, pos = decode(text, pos)
            c.resume = pos
        if index < len(items):
            return items[index], items[index]
        return None

    # --- offsets to lines ---------------------------------------------------------------------
    def _position(self, offset: int) -> tuple[int, int]:
        # Every finding of a resource asks for the resource's own line: remember answers.
        pos = self._seen.get(offset)
        if pos is None:
            pos = self._seen[offset] = self._line_column(offset)
        return pos

    def _line_column(self, offset: int) -> tuple[int, int]:
        text = self._text
        if self._blocks is None:
            # (newlines before the block, offset of the last newline before it) per block.
            blocks = []
            lines, last = 0, -1
            for start in range(0, len(text) + 1, _BLOCK):
                blocks.append((lines, last))
                end = start + _BLOCK
                lines += text.count("\n", start, end)
                nl = text.rfind("\n", start, end)
                if nl >= 0:
                    last = nl
            self._blocks = blocks
        block = offset // _BLOCK
        lines, last = self._blocks[block]
        start = block * _BLOCK
        lines += text.count("\n", start, offset)
        nl = text.rfind("\n", start, offset)
        line_start = (nl if nl >= 0 else last) + 1
        return lines + 1, offset - line_start + 1

