"""Write dissector/decoding/assigned_uuids.py from the Bluetooth SIG's assigned numbers.

bluetooth-numbers names most of the SIG's service, characteristic and descriptor UUIDs, but
not the 16-bit UUIDs the SIG assigns to member companies (0xFCxx-0xFExx: Google's 0xFE9F
...) or to other standards bodies (0xFFxx), nor units, nor what was assigned after its
release (LE Audio's Gaming Audio service, say). The SIG publishes every list as YAML in
`assigned_numbers/uuids/` of its public repository (bitbucket.org/bluetooth-SIG/public);
run this on that folder:

    python tools/gen_assigned_uuids.py path/to/assigned_numbers/uuids
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "dissector" / "decoding" / "assigned_uuids.py"
_UUID = re.compile(r"\s*- uuid:\s*0x([0-9A-Fa-f]{4})\s*$")
_NAME = re.compile(r"\s*name:\s*(.+?)\s*$")

# table name -> the SIG's files it is made of, and what it holds
TABLES = {
    "MEMBER_UUIDS": (
        ("member_uuids.yaml", "sdo_uuids.yaml"),
        "assigned to member companies and to other standards bodies",
    ),
    "GATT_UUIDS": (
        ("service_uuids.yaml", "characteristic_uuids.yaml", "descriptors.yaml"),
        "of GATT services, characteristics and descriptors",
    ),
    "UNITS": (("units.yaml",), "of units (Characteristic Presentation Format)"),
}


def entries(text: str) -> dict[int, str]:
    """uuid -> name from one of the SIG's YAML lists (a flat list of uuid/name pairs)."""
    found: dict[int, str] = {}
    uuid: int | None = None
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if m := _UUID.match(line):
            uuid = int(m[1], 16)
        elif (m := _NAME.match(line)) and uuid is not None:
            name = m[1]
            if name.startswith('"'):
                name = json.loads(name)  # YAML's double-quoted scalars escape like JSON here
            found[uuid] = name
            uuid = None
    return found


def _literal(name: str) -> str:
    """A string literal as ruff formats it (double quotes unless the name holds one);
    non-ASCII escaped, so no look-alike dash hides in the source."""
    text = json.dumps(name)
    if '"' in name and "'" not in name:
        text = "'" + text[1:-1].replace('\\"', '"') + "'"
    return text


def main(args: list[str]) -> None:
    if len(args) != 1:
        sys.exit(__doc__)
    folder = Path(args[0])
    lines = [
        '"""16-bit UUIDs the Bluetooth SIG assigned, with the name it lists for each',
        "(assigned_numbers/uuids/*.yaml). Written by tools/gen_assigned_uuids.py; do not edit.",
        '"""',
    ]
    for table, (files, what) in TABLES.items():
        names: dict[int, str] = {}
        for name in files:
            names.update(entries((folder / name).read_text(encoding="utf-8")))
        lines += ["", f"# {len(names)} UUIDs {what}", f"{table}: dict[int, str] = {{"]
        lines += [f"    0x{uuid:04X}: {_literal(names[uuid])}," for uuid in sorted(names)]
        lines.append("}")
        print(f"{table}: {len(names)} UUIDs")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
