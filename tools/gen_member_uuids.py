"""Write dissector/member_uuids.py from the Bluetooth SIG's assigned numbers.

bluetooth-numbers names the SIG's own service, characteristic and descriptor UUIDs but not
the 16-bit UUIDs the SIG assigns to member companies (0xFCxx-0xFExx: Google's 0xFE9F,
Nordic's DFU 0xFE59 ...) or to other standards bodies (0xFFxx). Both lists are published as
`assigned_numbers/uuids/member_uuids.yaml` and `sdo_uuids.yaml` in the SIG's public
repository (bitbucket.org/bluetooth-SIG/public); run this on those two files:

    python tools/gen_member_uuids.py member_uuids.yaml sdo_uuids.yaml
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "dissector" / "member_uuids.py"
_UUID = re.compile(r"\s*- uuid:\s*0x([0-9A-Fa-f]{4})\s*$")
_NAME = re.compile(r"\s*name:\s*(.+?)\s*$")


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


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit(__doc__)
    names: dict[int, str] = {}
    for path in paths:
        names.update(entries(Path(path).read_text(encoding="utf-8")))
    lines = [
        '"""16-bit UUIDs the Bluetooth SIG assigned to member companies and to other standards',
        "bodies, with the name it lists for each (assigned numbers, uuids/member_uuids.yaml and",
        'sdo_uuids.yaml). Written by tools/gen_member_uuids.py; do not edit."""',
        "",
        "MEMBER_UUIDS: dict[int, str] = {",
        *(f"    0x{uuid:04X}: {_literal(names[uuid])}," for uuid in sorted(names)),
        "}",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"{OUT}: {len(names)} UUIDs")


if __name__ == "__main__":
    main(sys.argv[1:])
