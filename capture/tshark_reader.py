"""Anything else Wireshark reads (Apple PacketLogger, hcidump, modified pcap variants ...),
through tshark by way of pyshark. Slower than the native readers, so only a fallback."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attscope.capture import linktypes as lt
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Direction, Encap, Frame
from attscope.capture.hci_records import h4_frame, monitor_frame
from attscope.capture.packetlogger_types import HCI_TYPES
from attscope.capture.reader import CaptureReader
from attscope.capture.records import decoder_for

INSTALL_HINT = (
    "install Wireshark's tshark (Debian/Ubuntu: apt install tshark) to read other formats"
)

# Wireshark WTAP_ENCAP values -> the pcap link type whose records carry the same bytes
WTAP_TO_LINKTYPE = {
    41: lt.BLUETOOTH_HCI_H4,
    99: lt.BLUETOOTH_HCI_H4_WITH_PHDR,  # wiretap has taken the direction header off
    154: lt.BLUETOOTH_LE_LL,
    159: lt.BLUETOOTH_LINUX_MONITOR,  # likewise the adapter and opcode
    161: lt.BLUETOOTH_LE_LL_WITH_PHDR,
    186: lt.NORDIC_BLE,
}
WTAP_PACKETLOGGER = 118
WTAP_BLUETOOTH_HCI = 102  # H1: the packet type is in wiretap's pseudo-header
H2C = Direction.HOST_TO_CONTROLLER
C2H = Direction.CONTROLLER_TO_HOST


def tshark_path() -> str | None:
    return shutil.which("tshark")


PROBE_TIMEOUT_S = 20  # tshark reads one record in well under a second; a FIFO never ends


def _run(args: list[str], path: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise CaptureError(
            f"{path}: tshark read nothing from it in {PROBE_TIMEOUT_S} s "
            "(a FIFO nobody writes to, or a mount that does not answer?)"
        ) from None


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "Running as user" not in ln]
    return lines[-1] if lines else "tshark could not read it"


class TsharkReader(CaptureReader):
    format = "other (read through tshark)"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        tshark = tshark_path()
        if tshark is None:
            raise CaptureError(f"{path}: not a btsnoop, pcap or pcapng file; {INSTALL_HINT}")
        probe = _run(
            [tshark, "-r", str(path), "-c", "1", "-T", "fields", "-e", "frame.encap_type"], path
        )
        first = probe.stdout.strip()
        # a file damaged further on still gives its first record: read what there is
        if probe.returncode != 0 and not first.isdigit():
            message = _last_line(probe.stderr)
            if "isn't a capture file" in message:
                message = (
                    "not a capture file (not btsnoop, pcap or pcapng, nor a format tshark reads)"
                )
            raise CaptureError(f"{path}: {message}")
        capinfos = shutil.which("capinfos")
        if capinfos:
            info = _run([capinfos, "-t", str(path)], path)
            for line in info.stdout.splitlines():
                if line.startswith("File type:"):
                    self.format = line.split(":", 1)[1].strip() + " (read through tshark)"
        if first.isdigit():
            self.linktypes = [self._linktype(int(first))]

    @staticmethod
    def _linktype(encap: int) -> int:
        return WTAP_TO_LINKTYPE.get(encap, lt.WTAP_ENCAP_BASE + encap)

    def __iter__(self) -> Iterator[Frame]:
        import pyshark  # deferred: only this fallback needs it, and it is slow to import

        self.warnings = []
        ensure_event_loop()
        capture = pyshark.FileCapture(
            str(self.path), use_json=True, include_raw=True, keep_packets=False
        )
        index = 0
        try:
            for pkt in capture:
                index += 1
                yield self._frame(index, pkt)
        except pyshark.capture.capture.TSharkCrashException as exc:
            self.warn(0, f"tshark stopped after frame {index}: {_crash_reason(exc)}")
        except KeyError as exc:  # pyshark cannot parse a record without that field
            if index == 0:
                raise CaptureError(
                    f"{self.path}: tshark opens it as {self.format.split(' (')[0]}, but its "
                    f"records have no {exc} and are no packets attscope can read"
                ) from None
            self.warn(0, f"tshark's record after frame {index} has no {exc}; the rest is not read")
        finally:
            try:  # pyshark reports tshark's exit status (a damaged file's) only here
                capture.close()
            except pyshark.capture.capture.TSharkCrashException as exc:
                # pyshark keeps the exited tshark listed and would raise again when the
                # capture object is collected: it is closed, so forget it
                capture._running_processes.clear()
                if not self.warnings:
                    self.warn(0, f"tshark stopped after frame {index}: {_crash_reason(exc)}")

    def _frame(self, index: int, pkt: Any) -> Frame:
        info = pkt.frame_info
        encap = int(_field(info, "encap_type", "0"))
        # some formats tshark opens have no timestamps (a JSON file, say): time 0
        sec, _, frac = str(_field(info, "time_epoch", "0")).partition(".")
        ts_us = int(sec or 0) * 1_000_000 + int((frac + "000000")[:6])
        # a record without bytes (a monitor index or note record) has no raw field
        raw: bytes = pkt.get_raw_packet() if "FRAME_RAW" in pkt else b""
        linktype = self._linktype(encap)
        p2p = _field(info, "p2p_dir", None)
        if encap == WTAP_PACKETLOGGER:
            kind = HCI_TYPES.get(raw[0]) if raw else None
            if kind is None:
                return Frame(index, ts_us, linktype, Encap.OTHER, Direction.UNKNOWN, raw)
            return Frame(index, ts_us, linktype, Encap.HCI, kind[1], raw[1:], hci_type=kind[0])
        if encap == 99:
            direction = {"0": H2C, "1": C2H}.get(str(p2p), Direction.UNKNOWN)
            return h4_frame(index, ts_us, linktype, raw, direction, 0)
        if encap == 159:
            mon = pkt.hci_mon
            adapter, opcode = _first(mon.adapter_id), _first(mon.opcode)
            return monitor_frame(index, ts_us, linktype, raw, int(adapter), int(opcode), 0)
        if encap == WTAP_BLUETOOTH_HCI and hasattr(pkt, "hci_h1"):
            h1 = pkt.hci_h1
            direction = C2H if str(getattr(h1, "direction", "0")) == "1" else H2C
            return Frame(index, ts_us, linktype, Encap.HCI, direction, raw, hci_type=int(h1.type))
        return decoder_for(linktype)(index, ts_us, raw, 0, 0, None)


def _field(layer: Any, name: str, default: Any) -> Any:
    """A field pyshark may not have: missing fields raise AttributeError or KeyError."""
    try:
        return getattr(layer, name)
    except (AttributeError, KeyError):
        return default


def _first(value: Any) -> Any:
    """A field's value; pyshark gives a list where tshark shows the field more than once
    (a monitor record whose payload is another monitor header, say)."""
    return value[0] if isinstance(value, list) else value


def _crash_reason(exc: Exception) -> str:
    """tshark's own last error line, from pyshark's message around it."""
    for line in str(exc).splitlines():
        if line.startswith("Last error line:"):
            return line.split(":", 1)[1].strip().removeprefix("tshark:").strip()
    return _last_line(str(exc))


def ensure_event_loop() -> None:
    """pyshark runs tshark on the thread's current asyncio loop and fails when there is
    none, which is the case after an `asyncio.run()` in the same thread: give it one."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())
