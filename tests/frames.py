"""Build small HCI captures for analyzer tests: ATT and L2CAP signalling over one LE ACL
link, written as a btsnoop (datalink 1002), read back and analysed.

    script = Script()
    read = script.local(att.ReadRequest(0x0010))      # the host's side sends
    answer = script.remote(att.ReadResponse(b"x"))    # the peer's side sends
    analyzer = script.analyse(tmp_path)

Each call returns the frame number (1-based, as tshark counts) of the packet it added.
"local" is the side that wrote the HCI log (host to controller), "remote" its peer.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

from attscope.capture import Direction, Encap, Frame, HciType, open_capture, write_capture
from attscope.capture.linktypes import BTSNOOP_H4
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding.att_pdus import AttPdu
from attscope.dissector.decoding.hci_commands import HciCommand
from attscope.dissector.decoding.hci_events import (
    DisconnectionComplete,
    HciEvent,
    LeConnectionComplete,
)
from attscope.dissector.decoding.l2cap_signalling import SignallingCommand

ACL_HANDLE = 0x0040
CID_ATT = 0x0004
CID_LE_SIGNALLING = 0x0005
START_US = 1_700_000_000_000_000  # microseconds since the epoch
STEP_US = 7_500  # one connection interval between packets unless a test says otherwise
PB_FIRST_NON_FLUSHABLE, PB_CONTINUING, PB_FIRST_FLUSHABLE = 0b00, 0b01, 0b10  # Vol 4 E 5.4.2
_ACL = struct.Struct("<HH")
_L2CAP = struct.Struct("<HH")

SENDS = {"local": Direction.HOST_TO_CONTROLLER, "remote": Direction.CONTROLLER_TO_HOST}


def l2cap(cid: int, payload: bytes) -> bytes:
    """A basic L2CAP frame (Vol 3 Part A 3.1)."""
    return _L2CAP.pack(len(payload), cid) + payload


def acl(direction: Direction, data: bytes, first: bool = True, handle: int = ACL_HANDLE) -> bytes:
    """An HCI ACL packet (Vol 4 Part E 5.4.2): the start of an L2CAP PDU (`first`), or
    a continuation of one."""
    if not first:
        pb = PB_CONTINUING
    elif direction == Direction.HOST_TO_CONTROLLER:
        pb = PB_FIRST_NON_FLUSHABLE
    else:
        pb = PB_FIRST_FLUSHABLE
    return _ACL.pack(handle | pb << 12, len(data)) + data


def acl_frame(
    index: int,
    direction: Direction,
    data: bytes,
    pb: int = PB_FIRST_FLUSHABLE,
    handle: int = ACL_HANDLE,
) -> Frame:
    """An ACL packet as the capture layer gives it (H4, frame `index`, 1 ms apart), for
    feeding a `Decoder` directly."""
    header = _ACL.pack(handle | pb << 12, len(data))
    return Frame(
        index, index * 1000, BTSNOOP_H4, Encap.HCI, direction, header + data, hci_type=HciType.ACL
    )


class Script:
    """The packets of one capture, in order, with their times."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.ts_us = START_US

    def send(self, side: str, cid: int, payload: bytes, after_us: int = STEP_US) -> int:
        """`side` sends `payload` on L2CAP channel `cid`, `after_us` after the last packet."""
        return self.fragment(side, l2cap(cid, payload), True, after_us)

    def fragment(self, side: str, data: bytes, first: bool, after_us: int = STEP_US) -> int:
        """One ACL packet with `data`, part of an L2CAP PDU: its start or a continuation."""
        if self.frames:
            self.ts_us += after_us
        direction = SENDS[side]
        index = len(self.frames) + 1
        packet = acl(direction, data, first)
        self.frames.append(
            Frame(index, self.ts_us, 1002, Encap.HCI, direction, packet, hci_type=HciType.ACL)
        )
        return index

    def connect(self, after_us: int = STEP_US) -> int:
        """HCI_LE_Connection_Complete for the link (the local host central): the capture
        then holds the link from its start, so its ATT_MTU starts at the default."""
        return self.event(LeConnectionComplete(0, ACL_HANDLE, 0, 0, bytes(6), 24, 0, 72, 0))

    def disconnect(self, reason: int = 0x13, after_us: int = STEP_US) -> int:
        """HCI_Disconnection_Complete for the link (0x13: the remote user ended it)."""
        return self.event(DisconnectionComplete(0, ACL_HANDLE, reason), after_us)

    def event(self, record: HciEvent, after_us: int = STEP_US) -> int:
        """An HCI event from the controller."""
        if self.frames:
            self.ts_us += after_us
        index = len(self.frames) + 1
        event = record.to_bytes()
        self.frames.append(
            Frame(index, self.ts_us, 1002, Encap.HCI, Direction.CONTROLLER_TO_HOST, event,
                  hci_type=HciType.EVENT)
        )  # fmt: skip
        return index

    def command(self, record: HciCommand, after_us: int = STEP_US) -> int:
        """An HCI command from the host."""
        if self.frames:
            self.ts_us += after_us
        index = len(self.frames) + 1
        self.frames.append(
            Frame(index, self.ts_us, 1002, Encap.HCI, Direction.HOST_TO_CONTROLLER,
                  record.to_bytes(), hci_type=HciType.COMMAND)
        )  # fmt: skip
        return index

    def local(self, pdu: AttPdu, after_us: int = STEP_US, cid: int = CID_ATT) -> int:
        return self.send("local", cid, pdu.to_bytes(), after_us)

    def remote(self, pdu: AttPdu, after_us: int = STEP_US, cid: int = CID_ATT) -> int:
        return self.send("remote", cid, pdu.to_bytes(), after_us)

    def signal(self, side: str, command: SignallingCommand) -> int:
        """An LE signalling command (Vol 3 Part A 4) on CID 0x0005."""
        return self.send(side, CID_LE_SIGNALLING, command.to_bytes())

    def k_frame(self, side: str, cid: int, pdu: AttPdu, after_us: int = STEP_US) -> int:
        """An ATT PDU as one SDU in one K-frame: SDU length, then the SDU (3.4.3)."""
        sdu = pdu.to_bytes()
        return self.send(side, cid, struct.pack("<H", len(sdu)) + sdu, after_us)

    def ts(self, frame: int) -> int:
        return self.frames[frame - 1].ts_us

    def analyse(self, tmp_path: Path, name: str = "script.btsnoop") -> Analyzer:
        """Write the capture, read it back, and feed every frame to a fresh analyzer."""
        path = tmp_path / name
        assert write_capture(path, self.frames, "btsnoop", 1002) == len(self.frames)
        return run(open_capture(path))

    def run(self) -> Analyzer:
        """The analyzer fed the frames straight, with no file between (for hypothesis)."""
        return run(self.frames)


def run(frames: Iterable[Frame]) -> Analyzer:
    analyzer = Analyzer()
    for frame in frames:
        analyzer.feed(frame)
    analyzer.finish()
    return analyzer
