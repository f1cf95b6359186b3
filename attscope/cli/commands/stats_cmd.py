"""`attscope stats FILE`: how many PDUs of each kind a capture holds, layer by layer
(like tshark's protocol hierarchy, down to the ATT opcode)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

import msgspec

from attscope.capture import open_capture
from attscope.cli.key_args import add_key_arguments, keys_of
from attscope.cli.log_arg import add_log_argument
from attscope.cli.messages import say
from attscope.dissector.decoding.att_pdus import AttUnknown
from attscope.dissector.decoding.decoder import Decoder
from attscope.dissector.decoding.hci_commands import HciCommandRaw
from attscope.dissector.decoding.hci_events import HciEventRaw, LeMetaEventRaw
from attscope.dissector.decoding.l2cap_signalling import SignallingUnknown
from attscope.dissector.decoding.le_keys import Keys
from attscope.dissector.decoding.ll_adv import AdvUnknown
from attscope.dissector.decoding.ll_control import LlControlUnknown
from attscope.dissector.decoding.ll_data import L2capFragment, LlPacket
from attscope.dissector.decoding.pdu import Malformed
from attscope.dissector.decoding.smp_pdus import SmpUnknown
from attscope.text.packet_text import layer_label, record_name


def register(sub: Any) -> None:
    p = sub.add_parser(
        "stats",
        help="count the PDUs of each kind",
        description="Decode every frame and count what each carried, by layer and kind of "
        "its innermost PDU: ATT opcodes, SMP codes, signalling commands, HCI commands and "
        "events, LL PDUs; malformed PDUs are counted per layer.",
    )
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_key_arguments(p)
    add_log_argument(p)
    p.set_defaults(run=run)


def count(
    path: str, keys: Keys | None = None, log: str | None = None
) -> tuple[int, Counter[tuple[str, str]], list[str]]:
    reader = open_capture(path, log)
    decoder = Decoder(keys)
    seen: dict[Any, int] = {}
    examples: dict[Any, Any] = {}
    frames = 0
    for frame in reader:
        frames += 1
        packet = decoder.decode(frame)
        layers = packet.layers
        if not layers:
            continue
        # the innermost PDU says what the frame carried (the layers around it follow from
        # it); a Malformed layer further out is counted too. Labels are worked out once
        # per kind afterwards, not once per PDU.
        pdu = layers[-1]
        if type(pdu) is LlPacket and pdu.pdu is not None:
            pdu = pdu.pdu  # an air packet: what it carried (ADV_IND, LL_VERSION_IND ...)
        kind = type(pdu)
        key = (kind, _instance_name(pdu)) if kind in NAMED_PER_INSTANCE else kind
        count = seen.get(key)
        if count is None:
            examples[key] = pdu
            count = 0
        seen[key] = count + 1
        if packet.lost:  # fragments dropped: a Malformed layer before the innermost one
            for layer in layers[:-1]:
                if isinstance(layer, Malformed):
                    key = (Malformed, layer.layer)
                    examples.setdefault(key, layer)
                    seen[key] = seen.get(key, 0) + 1
    kinds: Counter[tuple[str, str]] = Counter()
    for key, n in seen.items():
        example = examples[key]
        if isinstance(example, Malformed):
            name = "PDUs"  # the label says which layer: "malformed att PDUs"
        else:
            name = key[1] if isinstance(key, tuple) else record_name(example)
        kinds[layer_label(example), name] += n
    return frames, kinds, [str(w) for w in reader.warnings]


# records whose kind depends on their contents: a raw HCI record's opcode, an unknown
# opcode, the layer of a Malformed record; every other record's kind is its type
NAMED_PER_INSTANCE = frozenset(
    {
        HciCommandRaw,
        HciEventRaw,
        LeMetaEventRaw,
        AttUnknown,
        SmpUnknown,
        SignallingUnknown,
        LlControlUnknown,
        AdvUnknown,
        L2capFragment,
        Malformed,
    }
)


def _instance_name(record: Any) -> str:
    if isinstance(record, L2capFragment):
        return "Empty PDU" if not record.data and not record.start else "L2CAP fragment"
    if isinstance(record, Malformed):
        return record.layer
    return str(record_name(record))


def run(args: argparse.Namespace) -> int:
    frames, kinds, warnings = count(args.file, keys_of(args), args.log)
    rows = sorted(kinds.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))
    if args.json:
        doc = {
            "file": args.file,
            "frames": frames,
            "pdus": [{"layer": layer, "kind": kind, "count": n} for (layer, kind), n in rows],
            "warnings": warnings,
        }
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(doc)).decode() + "\n")
        return 0
    print(f"{frames} frames")
    width = max((len(f"{layer} {kind}") for (layer, kind), _ in rows), default=0)
    for (layer, kind), n in rows:
        print(f"  {f'{layer} {kind}':<{width}}  {n:>9}")
    for w in warnings:
        say(f"attscope: warning: {args.file}: {w}")
    return 0
