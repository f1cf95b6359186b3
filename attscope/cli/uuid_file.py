"""The user's file of names for custom UUIDs: a JSON object {"uuid": "name"}, or lines
of `UUID name`, `#` starting a comment.

Every command that takes `--uuid-names` loads the file before doing anything else, so a
missing file is one line and exit status 2 whatever else was asked; entries whose key is
no UUID are left out with a warning naming them (the line number in a text file)."""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from collections.abc import Callable

from attscope.capture import CaptureError
from attscope.cli.messages import say

_SHORT_UUID = re.compile(r"(0x)?([0-9a-f]{4}|[0-9a-f]{8})")  # 16- or 32-bit, hex


def is_uuid(text: str) -> bool:
    """A 16- or 32-bit UUID in hex (optionally 0x), or a 128-bit one (with or without
    dashes or braces): what a user may write for an attribute type."""
    clean = text.strip().lower()
    if _SHORT_UUID.fullmatch(clean):
        return True
    try:
        uuidlib.UUID(clean)
    except ValueError:
        return False
    return True


def _warn_on_stderr(message: str) -> None:
    say(f"attscope: warning: {message}")


def load_uuid_names(
    path: str | None, warn: Callable[[str], None] = _warn_on_stderr
) -> dict[str, str] | None:
    """The names in `path` (None: no file). A file that cannot be read or parsed is a
    CaptureError, which the command line turns into one line and exit status 2; each
    entry that is no UUID is left out and `warn`ed about."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CaptureError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    if text.lstrip().startswith("{"):
        return _json_names(path, text, warn)
    names: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        uuid, _, name = line.partition(" ")
        if not is_uuid(uuid):
            warn(f"{path}:{number}: {uuid!r} is no UUID; line left out")
            continue
        if not name.strip():
            raise CaptureError(f"{path}:{number}: expected 'UUID name'")
        names[uuid.lower()] = name.strip()
    return names


def _json_names(path: str, text: str, warn: Callable[[str], None]) -> dict[str, str]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptureError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise CaptureError(f"{path}: expected an object of UUID -> name")
    names: dict[str, str] = {}
    for key, name in doc.items():
        if is_uuid(key):
            names[key.lower()] = name
        else:
            warn(f"{path}: key {key!r} is no UUID; left out")
    return names
