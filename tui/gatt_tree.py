"""The GATT tree: device -> services -> characteristics -> descriptors, with names,
properties, last values (decoded and hex) and each client's CCCD state."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from attscope.dissector.analysis.gatt_db import Characteristic, GattDatabase
from attscope.text.analysis_text import hex_preview
from attscope.tui.filter_query import Filter
from attscope.tui.model import CaptureModel
from attscope.tui.rows import safe


def _named(uuid: str | None, name: str | None) -> str:
    if uuid is None:
        return "(type unknown)"
    return f"{name} ({uuid})" if name else uuid


def _value(db: GattDatabase, handle: int) -> tuple[str, str | None]:
    """The label text of a handle's last value, and its hex for copying."""
    last = db.value(handle)
    if last is None:
        return "", None
    decoded = db.decode(handle)
    shown = decoded.text() if decoded is not None else hex_preview(last.value)
    hexed = last.value.hex(" ")
    both = f"{shown}  [{hexed}]" if decoded is not None and hexed else shown
    return f" = {both} (frame {last.frame}, {last.source})", last.value.hex()


def _wanted(text: str, wanted: Filter) -> bool:
    low = text.lower()
    return all(n in low for n in wanted.names + wanted.text)


def fill_gatt_tree(
    tree: Tree[GattNode | None], model: CaptureModel, connection: str | None, wanted: Filter
) -> None:
    """(Re)build the tree for the databases of one connection (or all); a filter with
    names, free text or handles keeps the characteristics that match."""
    tree.clear()
    tree.root.expand()
    for db in model.gatt_databases():
        if connection is not None and connection not in db.connections:
            continue
        with model.lock:
            _device(tree.root, db, wanted)
    if not tree.root.children:
        tree.root.add_leaf(Text("no GATT database learnt (yet) for this selection", "dim"))


@dataclass(frozen=True)
class GattNode:
    """What a node of the tree holds: the text `c` copies (the value in hex, else the
    UUID) and, for a characteristic or descriptor, its handle and database for `v`."""

    copy: str | None
    handle: int | None = None
    db: GattDatabase | None = None
    name: str = ""


def _holds(char: Characteristic, handles: tuple[int, ...]) -> bool:
    """Whether a `handle:` term names the characteristic's declaration, value or a
    descriptor of it (as it narrows the other panels to PDUs on those handles)."""
    own = {char.declaration, char.value_handle, *(d.handle for d in char.descriptors)}
    return not own.isdisjoint(handles)


def _device(root: TreeNode[GattNode | None], db: GattDatabase, wanted: Filter) -> None:
    where = ", ".join(sorted(db.connections)) or "-"
    device = root.add(Text(f"{safe(db.device)}  (connections {safe(where)})", "bold"),
                      expand=True)  # fmt: skip
    _contents(device, db, wanted)
    if db.invalidations and not db.services and not db.characteristics:
        device.add_leaf(Text("(nothing learnt since the last invalidation)", "dim"))
    for found in db.invalidations:  # what the server said changed, as it was known
        label = (
            f"invalidated at frame {found.frame}: 0x{found.start:04x}-0x{found.end:04x} "
            f"({safe(found.reason)}); known until then"
        )
        _contents(device.add(Text(label, "yellow"), data=None), found.known, wanted)


def _contents(device: TreeNode[GattNode | None], db: GattDatabase, wanted: Filter) -> None:
    """A database's services and the characteristics outside them, under `device`."""
    for service in db.services:
        kind = "primary" if service.primary else "secondary" if service.primary is False else ""
        label = (
            f"0x{service.start:04x}-0x{service.end:04x} {kind} service "
            f"{safe(_named(service.uuid, service.name))}"
        )
        node = device.add(Text(label, "cyan"), data=GattNode(service.uuid), expand=True)
        for include in service.includes:
            node.add_leaf(Text(f"0x{include.handle:04x} include 0x{include.start:04x}-"
                               f"0x{include.end:04x} {safe(include.uuid or '')}"))  # fmt: skip
        for char in service.characteristics:
            _characteristic(node, db, char, wanted)
        if not node.children and (wanted.names or wanted.text or wanted.handles):
            node.remove()
    loose = [c for c in db.characteristics if db.service_at(c.declaration) is None]
    if loose:
        node = device.add(Text("characteristics outside any known service", "cyan"), expand=True)
        for char in loose:
            _characteristic(node, db, char, wanted)


def _characteristic(
    node: TreeNode[GattNode | None], db: GattDatabase, char: Characteristic, wanted: Filter
) -> None:
    props = ", ".join(char.property_names)
    name = _named(char.uuid, char.name)
    value, hexed = _value(db, char.value_handle)
    label = (
        f"0x{char.declaration:04x} {safe(_named(char.uuid, char.name))} [{props}]"
        f"  value 0x{char.value_handle:04x}{safe(value)}"
    )
    if not _wanted(label + " " + str(node.label), wanted):
        return
    if wanted.handles and not _holds(char, wanted.handles):
        return
    char_node = node.add(
        Text(label), data=GattNode(hexed or char.uuid, char.value_handle, db, name), expand=True
    )
    char_node.allow_expand = bool(char.descriptors)
    for desc in char.descriptors:
        value, hexed = _value(db, desc.handle)
        text = f"0x{desc.handle:04x} {safe(_named(desc.uuid, desc.name))}{safe(value)}"
        desc_name = _named(desc.uuid, desc.name)
        desc_node = char_node.add(
            Text(text), data=GattNode(hexed or desc.uuid, desc.handle, db, desc_name)
        )
        desc_node.allow_expand = False
        for state in db.cccd_states():
            if state.handle == desc.handle:
                enabled = ", ".join(state.enabled) or "off"
                desc_node.add_leaf(Text(f"client {safe(state.client)}: {enabled}", "green"))
                desc_node.allow_expand = True
                desc_node.expand()
