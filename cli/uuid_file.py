"""The user's file of names for custom UUIDs: a JSON object {"uuid": "name"}, or lines
of `UUID name`, `#` starting a comment."""

from __future__ import annotations

import json

from attscope.capture import CaptureError


def load_uuid_names(path: str | None) -> dict[str, str] | None:
    """The names in `path` (None: no file). A file that cannot be read or parsed is a
    CaptureError, which the command line turns into one line and exit status 2."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CaptureError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaptureError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
            raise CaptureError(f"{path}: expected an object of UUID -> name")
        return {str(k).lower(): v for k, v in doc.items()}
    names: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        uuid, _, name = line.partition(" ")
        if not name.strip():
            raise CaptureError(f"{path}:{number}: expected 'UUID name'")
        names[uuid.lower()] = name.strip()
    return names
