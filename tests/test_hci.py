"""HCI commands, events and data headers against Wireshark, and against any bytes at all.

Every HCI frame of every HCI capture in the corpus is decoded and compared with tshark (one
run per file, cached): command opcode, event code, LE subevent, the opcode of Command
Complete and Command Status, connection handles, status and reason, and the ACL header's
handle, flags and length. Each field counts where either side has a value; `pytest -s`
prints a summary per file ("field agreed/compared"). tshark 4.0 does not know the commands
Core 5.2 and 5.3 added, so it shows no Status in their Command Complete events: those frames
are recognised by rule (tshark has no name for the opcode), counted as quirks and pinned by
a named test. Hypothesis then feeds bytes to every decoder (nothing raises, whatever decodes
encodes back to the same bytes) and round-trips generated records.
"""

from __future__ import annotations

import struct
import subprocess
import typing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec
import pytest
from corpus import manifest, need_corpus, need_tshark, tshark_fields
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Encap, Frame, HciType, open_capture
from attscope.dissector.decoding import hci_acl
from attscope.dissector.decoding import hci_commands as cmds
from attscope.dissector.decoding import hci_events as evts
from attscope.dissector.decoding.hci_names import (
    COMMANDS,
    ERRORS,
    EVENTS,
    LE_SUBEVENTS,
    command_name,
    error_name,
    event_name,
    le_subevent_name,
)
from attscope.dissector.decoding.pdu import REST, Fixed, Int, Malformed

FIELDS = [
    "frame.number",
    "bthci_cmd.opcode",
    "bthci_evt.code",
    "bthci_evt.le_meta_subevent",
    "bthci_evt.opcode",
    "bthci_evt.connection_handle",
    "bthci_evt.status",
    "bthci_evt.reason",
    "bthci_acl.chandle",
    "bthci_acl.pb_flag",
    "bthci_acl.bc_flag",
    "bthci_acl.length",
    "_ws.malformed",
]
COMPARED = FIELDS[1:-1]
Row = dict[str, str]
HCI_LINKTYPES = {"187", "201", "254"}  # besides btsnoop: H4, H4 with direction, monitor
QUIRK_UNKNOWN = "Command Complete of a command tshark does not know: no status"
QUIRK_TI = "TI vendor ATT event: tshark shows no status or handle"


def hci_files() -> list[str]:
    """The corpus captures that hold HCI packets; a placeholder when the corpus is absent."""
    rows = manifest()
    names = [
        r["file"] for r in rows if r["format"] == "btsnoop" or r["linktype"][:3] in HCI_LINKTYPES
    ]
    return names or ["<corpus missing>"]


@cache
def tshark_rows(name: str) -> dict[int, Row]:
    rows = tshark_fields(need_corpus(name), FIELDS)
    return {int(r[0]): dict(zip(FIELDS, r, strict=True)) for r in rows}


@cache
def _tshark_values() -> dict[str, frozenset[int]]:
    out = subprocess.run(
        [need_tshark(), "-G", "values"], capture_output=True, text=True, check=True
    )
    found: dict[str, set[int]] = {}
    for line in out.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 4 and parts[0] == "V" and parts[1].startswith("bthci_"):
            found.setdefault(parts[1], set()).add(int(parts[2], 0))
    return {k: frozenset(v) for k, v in found.items()}


def tshark_names(field_name: str) -> frozenset[int]:
    """The values tshark has a name for in one field (`tshark -G values`)."""
    return _tshark_values().get(field_name, frozenset())


@cache
def read_frames(name: str) -> list[Frame]:
    return list(open_capture(need_corpus(name)))


def values(row: Row, name: str) -> list[int]:
    return [int(v, 0) for v in row[name].split(",")] if row[name] else []


def _opt(value: int | None) -> list[int]:
    return [] if value is None else [value]


def event_facts(rec: evts.HciEvent) -> dict[str, list[int]]:
    """What tshark's bthci_evt fields show of an event, read from our record."""
    about = rec.ret if isinstance(rec, evts.CommandComplete) else rec
    if isinstance(rec, evts.NumberOfCompletedPackets):
        handles = rec.handles
    else:
        handles = _opt(getattr(about, "handle", None))
    opcode = rec.opcode if isinstance(rec, evts.CommandComplete | evts.CommandStatus) else None
    return {
        "bthci_evt.code": [rec.code],
        "bthci_evt.le_meta_subevent": [rec.subevent] if isinstance(rec, evts.LeMetaEvent) else [],
        "bthci_evt.opcode": _opt(opcode),
        "bthci_evt.connection_handle": handles,
        "bthci_evt.status": _opt(getattr(rec, "status", None)),
        "bthci_evt.reason": _opt(getattr(rec, "reason", None)),
    }


def kind_of(rec: object) -> str:
    if isinstance(rec, Malformed):
        return "malformed"
    if isinstance(rec, cmds.TiAttCommand | evts.TiAttEvent):
        return "TI"
    if isinstance(rec, cmds.HciCommandRaw | evts.HciEventRaw | evts.LeMetaEventRaw):
        return "raw"
    return "decoded"


@dataclass
class Agreement:
    name: str
    frames: int = 0
    records: Counter[str] = field(default_factory=Counter)
    compared: Counter[str] = field(default_factory=Counter)
    differ: Counter[str] = field(default_factory=Counter)
    quirks: Counter[str] = field(default_factory=Counter)
    quirk_frames: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def check(self, key: str, number: int, ours: list[int], theirs: list[int]) -> None:
        if not ours and not theirs:
            return
        self.compared[key] += 1
        if ours != theirs:
            self.differ[key] += 1
            if len(self.examples) < 20:
                self.examples.append(f"frame {number} {key}: tshark {theirs}, ours {ours}")

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.records.items()))
        parts = [
            f"{k} {self.compared[k] - self.differ[k]}/{self.compared[k]}"
            for k in COMPARED
            if self.compared[k]
        ]
        parts += [f"{k} {n}" for k, n in self.differ.items() if k not in COMPARED]
        parts += [f"tshark quirk, {k}: {n} frames" for k, n in sorted(self.quirks.items())]
        return f"{self.name}: {self.frames} HCI frames ({kinds}); " + "; ".join(parts)


def compare_frame(frame: Frame, row: Row, agree: Agreement) -> None:
    n = frame.index
    if frame.encap != Encap.HCI:
        leaked = [k for k in COMPARED if row[k]]
        agree.check("HCI fields in a non-HCI frame", n, [], [len(leaked)] if leaked else [])
        return
    agree.frames += 1
    rec: Any
    if frame.hci_type == HciType.COMMAND:
        rec = cmds.decode_hci_command(frame.payload)
        ours = [] if isinstance(rec, Malformed) else [rec.opcode]
        agree.check("bthci_cmd.opcode", n, ours, values(row, "bthci_cmd.opcode"))
    elif frame.hci_type == HciType.EVENT:
        rec = evts.decode_hci_event(frame.payload)
        facts = {} if isinstance(rec, Malformed) else event_facts(rec)
        for key, ours in facts.items():
            theirs = values(row, key)
            if key in ("bthci_evt.status", "bthci_evt.connection_handle") and not theirs and ours:
                if isinstance(rec, evts.TiAttEvent):
                    agree.quirks[QUIRK_TI] += key == "bthci_evt.status"
                    continue
                if isinstance(rec, evts.CommandComplete) and rec.opcode not in tshark_names(
                    "bthci_cmd.opcode"
                ):
                    agree.quirks[QUIRK_UNKNOWN] += 1
                    agree.quirk_frames.append(n)
                    continue
            agree.check(key, n, ours, theirs)
    elif frame.hci_type == HciType.ACL:
        rec = hci_acl.decode_acl(frame.payload)
        if not isinstance(rec, Malformed):
            header = rec[0]
            agree.check("bthci_acl.chandle", n, [header.handle], values(row, "bthci_acl.chandle"))
            agree.check("bthci_acl.pb_flag", n, [header.pb_flag], values(row, "bthci_acl.pb_flag"))
            agree.check("bthci_acl.bc_flag", n, [header.bc_flag], values(row, "bthci_acl.bc_flag"))
            agree.check("bthci_acl.length", n, [header.length], values(row, "bthci_acl.length"))
    elif frame.hci_type == HciType.SCO:
        rec = hci_acl.decode_sco(frame.payload)
    else:
        rec = hci_acl.decode_iso(frame.payload)
    agree.records[kind_of(rec)] += 1
    if isinstance(rec, Malformed) and not row["_ws.malformed"]:
        agree.check("malformed only for us", n, [1], [])


@cache
def agreement(name: str) -> Agreement:
    rows = tshark_rows(name)
    frames = read_frames(name)
    assert len(frames) == len(rows), f"{name}: {len(frames)} frames, tshark {len(rows)}"
    agree = Agreement(name)
    for frame in frames:
        compare_frame(frame, rows[frame.index], agree)
    return agree


@pytest.mark.corpus
@pytest.mark.tshark
@pytest.mark.parametrize("name", hci_files())
def test_agrees_with_tshark(name: str) -> None:
    agree = agreement(name)
    print(agree.summary())
    assert agree.frames, f"{name}: no HCI frames"
    assert not agree.differ, agree.summary() + "\n" + "\n".join(agree.examples)


# Core 5.3 7.3.102 HCI_Set_Min_Encryption_Key_Size, Core 5.2 7.3.101 HCI_Configure_Data_Path
UNKNOWN_TO_TSHARK_4_0 = {
    "android_fossibot_broadcom.btsnoop": {30: 0x0C84, 166: 0x0C83, 168: 0x0C83},
    "android_novax_aclfrag_mtu.btsnoop": {31: 0x0C84},
}


@pytest.mark.corpus
@pytest.mark.tshark
@pytest.mark.parametrize("name", sorted(UNKNOWN_TO_TSHARK_4_0))
def test_tshark_shows_no_status_for_commands_it_does_not_know(name: str) -> None:
    """tshark 4.0 names commands up to 0x0C81 and 0x207E: Set Min Encryption Key Size
    (0x0C84) and Configure Data Path (0x0C83) are 'Unknown', and their Command Complete
    events show no Status, though every Core command's return parameters open with it
    (Vol 4 Part E 7.7.14). Ours decode it. A tshark that knows them must agree with us."""
    known = tshark_names("bthci_cmd.opcode")
    rows, frames = tshark_rows(name), {f.index: f for f in read_frames(name)}
    for number, opcode in UNKNOWN_TO_TSHARK_4_0[name].items():
        rec = evts.decode_hci_event(frames[number].payload)
        assert isinstance(rec, evts.CommandComplete) and rec.opcode == opcode
        assert isinstance(rec.ret, cmds.ReturnStatus) and rec.status == 0
        assert command_name(opcode) in ("Set Min Encryption Key Size", "Configure Data Path")
        assert values(rows[number], "bthci_evt.opcode") == [opcode]
        if opcode in known:
            assert values(rows[number], "bthci_evt.status") == [0]
        else:
            assert values(rows[number], "bthci_evt.status") == []
    if not set(UNKNOWN_TO_TSHARK_4_0[name].values()) & known:
        assert agreement(name).quirk_frames == sorted(UNKNOWN_TO_TSHARK_4_0[name])


@pytest.mark.tshark
@pytest.mark.parametrize(
    ("field_name", "ours"),
    [
        ("bthci_cmd.opcode", COMMANDS),
        ("bthci_evt.code", EVENTS),
        ("bthci_evt.le_meta_subevent", LE_SUBEVENTS),
        ("bthci_evt.status", ERRORS),
    ],
)
def test_names_cover_every_code_tshark_names(field_name: str, ours: dict[int, str]) -> None:
    missing = sorted(tshark_names(field_name) - set(ours))
    assert not missing, [hex(m) for m in missing]


# -- names, examples, TI ------------------------------------------------------------------


def test_names() -> None:
    assert command_name(0x0406) == "Disconnect"
    assert command_name(0x2019) == "LE Enable Encryption"
    assert command_name(0x2085) == "LE Extended Create Connection v2"
    assert command_name(0xFD57) == "Vendor 0xfd57"
    assert command_name(0x2099) == "Unknown 0x2099"
    assert event_name(0x3E) == "LE Meta" and event_name(0x00) == "Unknown event 0x00"
    assert le_subevent_name(0x29) == "LE Enhanced Connection Complete v2"
    assert error_name(0x3E) == "Connection Failed to be Established / Synchronization Timeout"
    assert error_name(0x2B) == "Reserved error 0x2b"
    for opcode in cmds.COMMAND_TYPES:
        assert opcode in COMMANDS, hex(opcode)
    assert set(evts.EVENT_TYPES) <= set(EVENTS) and set(evts.LE_EVENT_TYPES) <= set(LE_SUBEVENTS)


def _concrete_records() -> list[type]:
    """Every record class a decoder can return."""
    registered = [*cmds.COMMAND_TYPES.values(), *cmds.RETURN_TYPES.values()]
    registered += [*evts.EVENT_TYPES.values(), *evts.LE_EVENT_TYPES.values()]
    others = [cmds.HciCommandRaw, cmds.TiAttCommand, cmds.ReturnRaw, cmds.ReturnStatus]
    others += [cmds.ReturnStatusRest, evts.HciEventRaw, evts.LeMetaEventRaw, evts.TiAttEvent]
    others += [hci_acl.AclHeader, hci_acl.ScoHeader, hci_acl.IsoHeader]
    return list(dict.fromkeys(registered + others))


def test_every_record_has_its_own_explicit_tag_and_a_docstring() -> None:
    records = _concrete_records()
    tags = [cls.__struct_config__.tag for cls in records]
    assert all(t != cls.__name__ for t, cls in zip(tags, records, strict=True))
    assert all(t.startswith("hci_") for t in tags)
    assert len(set(tags)) == len(tags), Counter(tags).most_common(3)
    assert all(cls.__doc__ for cls in records)


@pytest.mark.parametrize(
    ("hexdata", "summary"),
    [
        (
            "3e13 01 00 4000 01 01 563412eeffc0 1800 0000 2a00 01",
            "LE Connection Complete status 0x00 handle 0x0040 role peripheral "
            "peer C0:FF:EE:12:34:56 (random) interval 30.00 ms",
        ),
        (
            "0e07 01 0220 00 1b00 08",
            "Command Complete LE Read Buffer Size status Success: 27 bytes x 8",
        ),
        (
            "0e0b 01 0510 00 fd03 40 0800 0100",
            "Command Complete Read Buffer Size status Success: "
            "ACL 1021 bytes x 8, SCO 64 bytes x 1",
        ),
        (
            "0e0a 01 0910 00 563412eeffc0",
            "Command Complete Read BD_ADDR status Success: address C0:FF:EE:12:34:56",
        ),
        ("0e04 01 0220 0c", "Command Complete LE Read Buffer Size status Command Disallowed"),
        (
            "0504 00 4000 13",
            "Disconnection Complete status 0x00 handle 0x0040 "
            "reason 0x13 (Remote User Terminated Connection)",
        ),
        ("0f04 00 01 0d20", "Command Status LE Create Connection status Success"),
        (
            "1309 02 4000 0200 4100 0100",
            "Number Of Completed Packets handle 0x0040 2, handle 0x0041 1",
        ),
        (
            "3e0a 03 00 4000 0600 0000 f401",
            "LE Connection Update Complete status 0x00 handle 0x0040 "
            "interval 7.50 ms latency 0 timeout 5000.00 ms",
        ),
    ],
)
def test_event_summaries(hexdata: str, summary: str) -> None:
    data = bytes.fromhex(hexdata.replace(" ", ""))
    rec = evts.decode_hci_event(data)
    assert not isinstance(rec, Malformed), rec
    assert rec.summary() == summary
    assert rec.to_bytes() == data


def test_command_summaries() -> None:
    disconnect = cmds.decode_hci_command(bytes.fromhex("060403400013"))
    assert isinstance(disconnect, cmds.Disconnect) and disconnect.reason == 0x13
    assert (
        disconnect.summary()
        == "Disconnect handle 0x0040 reason 0x13 (Remote User Terminated Connection)"
    )
    scan = cmds.decode_hci_command(bytes.fromhex("0b2007016000300000" + "00"))
    assert isinstance(scan, cmds.LeSetScanParameters)
    assert scan.summary() == "LE Set Scan Parameters active interval 60.00 ms window 30.00 ms"
    ext = cmds.decode_hci_command(bytes.fromhex("41200d000105" + "0160003000" + "0060003000"))
    assert isinstance(ext, cmds.LeSetExtendedScanParameters) and len(ext.phys) == 2
    assert cmds.decode_hci_command(bytes.fromhex("030c00")).summary() == "Reset"


def test_ti_vendor_att_command() -> None:
    """ATT_WriteReq: handle 0x0040, Signature 0, Command 0, attribute 0x0025, value 01 00."""
    data = bytes.fromhex("12fd08" + "4000" + "0000" + "2500" + "0100")
    rec = cmds.decode_hci_command(data)
    assert isinstance(rec, cmds.TiAttCommand)
    assert (rec.opcode, rec.att_opcode, rec.handle, rec.params) == (
        0xFD12,
        0x12,
        0x40,
        bytes.fromhex("000025000100"),
    )
    assert rec.name == "Vendor 0xfd12 TI ATT_WriteReq" and rec.to_bytes() == data
    short = cmds.decode_hci_command(bytes.fromhex("0afd0140"))
    assert isinstance(short, cmds.HciCommandRaw)  # no room for a connection handle: not TI's
    android = cmds.decode_hci_command(bytes.fromhex("57fd0101"))
    assert isinstance(android, cmds.HciCommandRaw) and android.name == "Vendor 0xfd57"


def test_ti_vendor_att_events() -> None:
    noti = bytes.fromhex("ff0a" + "1b05" + "00" + "4000" + "04" + "2500" + "0100")
    rec = evts.decode_hci_event(noti)
    assert isinstance(rec, evts.TiAttEvent) and rec.to_bytes() == noti
    assert (rec.event_opcode, rec.att_opcode, rec.status, rec.handle, rec.pdu_len) == (
        0x051B,
        0x1B,
        0,
        0x40,
        4,
    )
    assert rec.params == bytes.fromhex("25000100") and not rec.local
    assert rec.summary().startswith(
        "Vendor TI ATT_HandleValueNoti (0x051b) status 0x00 handle 0x0040"
    )
    mtu = evts.decode_hci_event(bytes.fromhex("ff08" + "7f05" + "00" + "4000" + "02" + "f700"))
    assert (
        isinstance(mtu, evts.TiAttEvent) and mtu.local and mtu.name == "Vendor TI ATT_MtuUpdatedEvt"
    )
    broadcom = evts.decode_hci_event(bytes.fromhex("ff06" + "5802" + "524100" + "00"))
    assert isinstance(broadcom, evts.HciEventRaw) and broadcom.code == 0xFF


@pytest.mark.parametrize(
    ("hexdata", "reason"),
    [
        ("0e", "event header needs 2 bytes, has 1"),
        ("0504004000", "Disconnection Complete: truncated: length 4, has 3"),
        ("05050040001300", "Disconnection Complete: DisconnectionComplete has 1 bytes more"),
        ("0505004000", "Disconnection Complete: truncated: length 5, has 3"),
        ("0e04010220001b", "Command Complete: trailing bytes"),
        ("3e00", "LE Meta event without a subevent code"),
        ("13050240000100", "Number Of Completed Packets: 2 handles need 9 bytes, has 5"),
    ],
)
def test_bad_events_are_malformed(hexdata: str, reason: str) -> None:
    rec = evts.decode_hci_event(bytes.fromhex(hexdata))
    assert isinstance(rec, Malformed) and rec.layer == "hci" and rec.raw == bytes.fromhex(hexdata)
    assert reason in rec.reason


def test_bad_commands_are_malformed() -> None:
    short = cmds.decode_hci_command(bytes.fromhex("0604"))
    assert isinstance(short, Malformed) and "3 bytes" in short.reason
    extra = cmds.decode_hci_command(bytes.fromhex("06040440001300"))
    assert isinstance(extra, Malformed) and extra.reason.startswith("Disconnect: ")


def test_data_headers() -> None:
    acl = hci_acl.decode_acl(bytes.fromhex("40201b00") + bytes(27))
    assert not isinstance(acl, Malformed)
    assert acl[0] == hci_acl.AclHeader(0x40, 0b10, 0, 27) and acl[1] == bytes(27)
    assert acl[0].summary() == "ACL handle 0x0040 first flushable 27 bytes"
    cut = hci_acl.decode_acl(bytes.fromhex("40201b00") + bytes(20))
    assert isinstance(cut, Malformed) and "truncated" in cut.reason
    iso = hci_acl.decode_iso(
        bytes.fromhex("6020" + "0800") + bytes.fromhex("0100" + "0400") + b"abcd"
    )
    assert not isinstance(iso, Malformed)
    assert iso[0].sequence_number == 1 and iso[0].sdu_length == 4 and iso[1] == b"abcd"
    sco = hci_acl.decode_sco(bytes.fromhex("061003") + b"xyz")
    assert not isinstance(sco, Malformed) and sco[0].packet_status == 1 and sco[1] == b"xyz"


# -- hypothesis ---------------------------------------------------------------------------

u8, u16, i8 = st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(-128, 127)
address = st.binary(min_size=6, max_size=6)
values_ = st.binary(max_size=40)


def compiled(cls: type) -> st.SearchStrategy[Any]:
    """Random field values for a record compiled from its field declarations."""
    strategies = []
    for name, hint in typing.get_type_hints(cls, include_extras=True).items():
        if name not in cls.__struct_fields__:
            continue
        codec = hint.__metadata__[0]
        if isinstance(codec, Int):
            low = -(1 << (8 * codec.size - 1)) if codec.fmt == "b" else 0
            strategies.append(st.integers(low, low + (1 << (8 * codec.size)) - 1))
        elif isinstance(codec, Fixed):
            strategies.append(st.binary(min_size=codec.size, max_size=codec.size))
        else:
            assert codec is REST
            strategies.append(values_)
    return st.tuples(*strategies).map(lambda args: cls(*args))


def _per_bit(mask: st.SearchStrategy[int], entry: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return mask.flatmap(
        lambda m: st.tuples(
            st.just(m), st.lists(entry, min_size=m.bit_count(), max_size=m.bit_count()).map(tuple)
        )
    )


_INIT = st.builds(cmds.InitiatingPhy, *[u16] * 8)


@st.composite
def _ext_create(draw: st.DrawFn, cls: type[cmds.LeExtendedCreateConnection]) -> Any:
    mask, phys = draw(_per_bit(u8, _INIT))
    extra = {"advertising_handle": draw(u8), "subevent": draw(u8)} if cls._PREFIX else {}
    return cls(draw(u8), draw(u8), draw(u8), draw(address), mask, phys, **extra)


@st.composite
def _command_complete(draw: st.DrawFn) -> evts.CommandComplete:
    standard = sorted(op for op in COMMANDS if cmds.is_standard(op))
    kind = draw(st.sampled_from(["decoded", "status", "rest", "raw"]))
    ret: cmds.ReturnParams
    if kind == "decoded":
        opcode = draw(st.sampled_from(sorted(cmds.RETURN_TYPES)))
        ret = draw(compiled(cmds.RETURN_TYPES[opcode]))
    elif kind == "status":  # a command that failed may answer with its Status alone
        opcode = draw(st.sampled_from(standard))
        low = 1 if opcode in cmds.RETURN_TYPES else 0
        ret = cmds.ReturnStatus(draw(st.integers(low, 0xFF)))
    elif kind == "rest":
        opcode = draw(st.sampled_from([op for op in standard if op not in cmds.RETURN_TYPES]))
        ret = cmds.ReturnStatusRest(draw(u8), draw(st.binary(min_size=1, max_size=40)))
    else:
        opcode = draw(st.one_of(st.integers(0xFC00, 0xFFFF), st.just(0), st.sampled_from(standard)))
        ret = cmds.ReturnRaw(b"" if cmds.is_standard(opcode) else draw(values_))
    return evts.CommandComplete(draw(u8), opcode, ret)


def _not_ti(params: bytes) -> bool:
    return not (len(params) >= 6 and params[1] == 0x05 and 0x01 <= params[0] <= 0x7F)


ADV_REPORT = st.builds(evts.AdvertisingReport, u8, u8, address, st.binary(max_size=31), i8)
EXT_REPORT = st.builds(
    evts.ExtendedAdvertisingReport,
    u16,
    u8,
    address,
    u8,
    u8,
    u8,
    i8,
    i8,
    u16,
    u8,
    address,
    st.binary(max_size=90),
)
HAND_CODED: dict[type, st.SearchStrategy[Any]] = {
    cmds.LeSetExtendedAdvertisingEnable: st.builds(
        cmds.LeSetExtendedAdvertisingEnable,
        u8,
        st.lists(st.builds(cmds.AdvertisingSet, u8, u16, u8), max_size=10).map(tuple),
    ),
    cmds.LeSetExtendedScanParameters: st.tuples(
        u8, u8, _per_bit(u8, st.builds(cmds.ScanPhy, u8, u16, u16))
    ).map(lambda t: cmds.LeSetExtendedScanParameters(t[0], t[1], *t[2])),
    cmds.LeExtendedCreateConnection: _ext_create(cmds.LeExtendedCreateConnection),
    cmds.LeExtendedCreateConnectionV2: _ext_create(cmds.LeExtendedCreateConnectionV2),
    evts.CommandComplete: _command_complete(),
    evts.NumberOfCompletedPackets: st.lists(
        st.builds(evts.CompletedPackets, u16, u16), max_size=12
    ).map(lambda e: evts.NumberOfCompletedPackets(tuple(e))),
    evts.LeAdvertisingReport: st.lists(ADV_REPORT, max_size=4).map(
        lambda r: evts.LeAdvertisingReport(tuple(r))
    ),
    evts.LeExtendedAdvertisingReport: st.lists(EXT_REPORT, max_size=2).map(
        lambda r: evts.LeExtendedAdvertisingReport(tuple(r))
    ),
}


def strategy_for(cls: type) -> st.SearchStrategy[Any]:
    if cls in HAND_CODED:
        return HAND_CODED[cls]
    assert cls.encode_body is cmds.Pdu.encode_body, f"{cls.__name__} needs a hand-written strategy"
    return compiled(cls)


RAW_COMMANDS = st.builds(
    cmds.HciCommandRaw,
    u16.filter(lambda op: op not in cmds.COMMAND_TYPES and op not in cmds.TI_ATT_COMMANDS),
    st.binary(max_size=60),
)
RAW_EVENTS = st.one_of(
    st.builds(
        evts.HciEventRaw,
        u8.filter(lambda c: c not in evts.EVENT_TYPES and c not in (0x3E, 0xFF)),
        values_,
    ),
    st.builds(evts.HciEventRaw, st.just(0xFF), values_.filter(_not_ti)),
    st.builds(evts.LeMetaEventRaw, u8.filter(lambda s: s not in evts.LE_EVENT_TYPES), values_),
)
COMMAND_RECORDS = st.one_of(
    RAW_COMMANDS,
    st.builds(cmds.TiAttCommand, st.integers(0x01, 0x1E), u16, st.binary(max_size=60)),
    *(strategy_for(cls) for cls in cmds.COMMAND_TYPES.values()),
)
EVENT_RECORDS = st.one_of(
    RAW_EVENTS,
    st.builds(evts.TiAttEvent, st.integers(0x01, 0x7F), u8, u16, u8, values_),
    *(strategy_for(cls) for cls in evts.EVENT_TYPES.values()),
    *(strategy_for(cls) for cls in evts.LE_EVENT_TYPES.values()),
)


@given(COMMAND_RECORDS)
def test_commands_round_trip(rec: cmds.HciCommand) -> None:
    data = rec.to_bytes()
    assert cmds.decode_hci_command(data) == rec
    assert isinstance(rec.summary(), str) and msgspec.json.encode(rec)


@given(EVENT_RECORDS)
def test_events_round_trip(rec: evts.HciEvent) -> None:
    data = rec.to_bytes()
    assert evts.decode_hci_event(data) == rec
    assert isinstance(rec.summary(), str) and msgspec.json.encode(rec)


@st.composite
def acl_packets(draw: st.DrawFn) -> tuple[hci_acl.AclHeader, bytes]:
    payload = draw(st.binary(max_size=60))
    header = hci_acl.AclHeader(
        draw(st.integers(0, 0xFFF)), draw(st.integers(0, 3)), draw(st.integers(0, 3)), len(payload)
    )
    return header, payload


@st.composite
def iso_packets(draw: st.DrawFn) -> tuple[hci_acl.IsoHeader, bytes]:
    payload = draw(st.binary(max_size=60))
    handle, pb_flag = draw(st.integers(0, 0xFFF)), draw(st.integers(0, 3))
    if pb_flag in (1, 3):
        return hci_acl.IsoHeader(handle, pb_flag, 0, len(payload)), payload
    stamp = draw(st.one_of(st.none(), st.integers(0, 0xFFFFFFFF)))
    sdu = len(payload) if pb_flag == 2 else draw(st.integers(len(payload), 0xFFF))
    load = len(payload) + 4 + (4 if stamp is not None else 0)
    status = draw(st.integers(0, 3))
    header = hci_acl.IsoHeader(
        handle, pb_flag, int(stamp is not None), load, stamp, draw(u16), sdu, status
    )
    return header, payload


@given(acl_packets())
def test_acl_round_trip(packet: tuple[hci_acl.AclHeader, bytes]) -> None:
    header, payload = packet
    assert hci_acl.decode_acl(header.to_bytes() + payload) == packet
    assert header.summary()


@given(iso_packets())
def test_iso_round_trip(packet: tuple[hci_acl.IsoHeader, bytes]) -> None:
    header, payload = packet
    assert hci_acl.decode_iso(header.to_bytes() + payload) == packet
    assert header.summary()


@given(st.integers(0, 0xFFF), st.integers(0, 3), st.binary(max_size=60))
def test_sco_round_trip(handle: int, status: int, payload: bytes) -> None:
    header = hci_acl.ScoHeader(handle, status, len(payload))
    assert hci_acl.decode_sco(header.to_bytes() + payload) == (header, payload)
    assert header.summary()


@st.composite
def _packets(draw: st.DrawFn, head: struct.Struct, codes: st.SearchStrategy[int]) -> bytes:
    """A header with a likely code and, usually, the right length, then any parameters."""
    params = draw(st.binary(max_size=80))
    length = draw(st.one_of(st.just(len(params)), st.just(len(params)), u8))
    return head.pack(draw(codes), length) + params


COMMAND_BYTES = _packets(
    struct.Struct("<HB"),
    st.one_of(st.sampled_from(sorted(cmds.COMMAND_TYPES)), st.integers(0xFD00, 0xFD20), u16),
)
LE_META_CODES = st.sampled_from(sorted(evts.LE_EVENT_TYPES))
EVENT_BYTES = st.one_of(
    _packets(
        struct.Struct("<BB"),
        st.one_of(st.sampled_from(sorted(evts.EVENT_TYPES)), st.just(0xFF), u8),
    ),
    st.tuples(LE_META_CODES, st.binary(max_size=80)).map(
        lambda t: bytes([0x3E, len(t[1]) + 1, t[0]]) + t[1]
    ),
    st.tuples(st.sampled_from(sorted(cmds.RETURN_TYPES)), st.binary(max_size=40)).map(
        lambda t: bytes([0x0E, len(t[1]) + 3, 1]) + t[0].to_bytes(2, "little") + t[1]
    ),
    st.binary(max_size=8).map(
        lambda p: bytes([0xFF, len(p) + 6, 0x1B, 0x05, 0, 0x40, 0, len(p)]) + p
    ),
)
DECODERS: dict[str, tuple[Callable[[bytes], Any], st.SearchStrategy[bytes]]] = {
    "command": (cmds.decode_hci_command, COMMAND_BYTES),
    "event": (evts.decode_hci_event, EVENT_BYTES),
    "acl": (hci_acl.decode_acl, st.binary(max_size=80)),
    "sco": (hci_acl.decode_sco, st.binary(max_size=80)),
    "iso": (hci_acl.decode_iso, st.binary(max_size=80)),
}


@pytest.mark.parametrize("kind", sorted(DECODERS))
@settings(max_examples=400)
@given(data=st.data())
def test_any_bytes_give_a_record_or_malformed(kind: str, data: st.DataObject) -> None:
    decode, shaped = DECODERS[kind]
    packet = data.draw(st.one_of(st.binary(max_size=300), shaped))
    result = decode(packet)
    if isinstance(result, Malformed):
        assert result.layer == "hci" and result.raw == packet and result.reason
        return
    if isinstance(result, tuple):  # a data packet: the header again gives the same header
        header, payload = result
        assert decode(header.to_bytes() + payload) == result and header.summary()
        return
    assert result.to_bytes() == packet  # nothing is lost or invented
    assert isinstance(result.summary(), str) and msgspec.json.encode(result)
