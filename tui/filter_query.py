"""The filter bar's language: words that narrow every view at once.

    conn:0x0040  handle:0x0012  op:write  uuid:2a37  name:"heart rate"  errors  violations
    anything else is free text, matched (ignoring case) against the row as shown

Terms combine with AND. `c:`, `h:`, `o:` and `is:error` / `is:violation` are short forms.
"""

from __future__ import annotations

import shlex

import msgspec

from attscope.dissector.decoding.att_pdus import opcode_title

_KEYS = {
    "conn": "conn", "c": "conn", "connection": "conn",
    "handle": "handle", "h": "handle",
    "op": "op", "o": "op", "opcode": "op",
    "uuid": "uuid", "u": "uuid",
    "name": "name", "n": "name",
}  # fmt: skip
_FLAGS = {"errors": "errors", "error": "errors", "is:error": "errors", "is:errors": "errors",
          "violations": "violations", "violation": "violations", "is:violation": "violations",
          "is:violations": "violations"}  # fmt: skip


class FilterError(ValueError):
    """The filter text cannot be understood; the message says which word."""


class Filter(msgspec.Struct, frozen=True):
    conn: tuple[str, ...] = ()
    handles: tuple[int, ...] = ()
    opcodes: frozenset[int] = frozenset()
    names: tuple[str, ...] = ()  # UUIDs or names, lower case
    text: tuple[str, ...] = ()  # lower case
    errors: bool = False
    violations: bool = False

    @property
    def empty(self) -> bool:
        return self == EVERYTHING


EVERYTHING = Filter()


def _int(word: str) -> int:
    try:
        return int(word, 0)
    except ValueError:
        try:
            return int(word, 16)
        except ValueError:
            raise FilterError(f"handle {word!r} is not a number (0x12 or 18)") from None


def _squash(text: str) -> str:
    return text.lower().replace("_", "").replace(" ", "").replace("-", "")


def opcodes_named(word: str) -> frozenset[int]:
    """The ATT opcodes whose title contains `word` ("write", "read_req", "0x0a", "ntf")."""
    try:
        return frozenset({int(word, 0)})
    except ValueError:
        pass
    wanted = _squash(word).replace("req", "request").replace("rsp", "response")
    wanted = wanted.replace("ntf", "notification").replace("ind", "indication")
    wanted = wanted.replace("cmd", "command").replace("cfm", "confirmation")
    found = frozenset(op for op in range(256) if wanted in _squash(opcode_title(op)))
    if not found or all(opcode_title(op).startswith("Unknown") for op in found):
        raise FilterError(f"no ATT opcode is called {word!r}")
    return frozenset(op for op in found if not opcode_title(op).startswith("Unknown"))


def parse_filter(text: str) -> Filter:
    """The filter a line of text asks for; FilterError when a word makes no sense."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise FilterError(f"unbalanced quotes: {exc}") from None
    conn: list[str] = []
    handles: list[int] = []
    opcodes: set[int] = set()
    names: list[str] = []
    free: list[str] = []
    errors = violations = False
    for word in words:
        flag = _FLAGS.get(word.lower())
        if flag == "errors":
            errors = True
            continue
        if flag == "violations":
            violations = True
            continue
        key, sep, value = word.partition(":")
        kind = _KEYS.get(key.lower()) if sep else None
        if kind is None:
            free.append(word.lower())
        elif not value:
            raise FilterError(f"{key}: needs a value")
        elif kind == "conn":
            conn.append(value.lower())
        elif kind == "handle":
            handles.append(_int(value))
        elif kind == "op":
            opcodes |= opcodes_named(value)
        else:
            names.append(value.lower())
    return Filter(
        tuple(conn),
        tuple(handles),
        frozenset(opcodes),
        tuple(names),
        tuple(free),
        errors,
        violations,
    )
