"""The JSON Schema of `attscope export`, generated from the export records at run time so
it cannot drift from them. A JSON Lines line is one of the line records; a `--format json`
document is the `export` record."""

from __future__ import annotations

from typing import Any

import msgspec

from attscope.export.records import LINE_TYPES, SCHEMA_ID, ExportDocument

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def export_schema() -> dict[str, Any]:
    """One JSON Schema (2020-12) document: the records in `$defs`, and at the root a
    `oneOf` that accepts each JSON Lines line and the `--format json` document."""
    types = (*LINE_TYPES, ExportDocument)
    refs, components = msgspec.json.schema_components(types, ref_template="#/$defs/{name}")
    return {
        "$schema": DIALECT,
        "$id": f"urn:attscope:{SCHEMA_ID}",
        "title": f"attscope export ({SCHEMA_ID})",
        "description": (
            "What `attscope export` writes: each line of a JSON "
            "Lines export, or the whole document of `--format json`. Every object carries "
            "`type`; bytes are lowercase hex; `*_us` are microseconds since the Unix epoch "
            "beside ISO 8601 times; frames are 1-based as Wireshark numbers them."
        ),
        "oneOf": list(refs),
        "$defs": components,
    }


def schema_json() -> bytes:
    """The schema as indented JSON text with a final newline."""
    return msgspec.json.format(msgspec.json.encode(export_schema()), indent=2) + b"\n"
