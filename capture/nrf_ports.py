"""Which serial ports may be an nRF Sniffer, and finding one again by its USB serial number.

Only ports that look like a board the sniffer firmware runs on are probed: opening and
writing to every serial port of a machine would disturb modems, GPS receivers and other
programs' devices. `--port` names any other port.
"""

from __future__ import annotations

import os

import msgspec
from serial.tools import list_ports

NORDIC_VID = 0x1915
SNIFFER_PID = 0x522A  # nRF Sniffer for Bluetooth LE 4.x on the nRF52840 Dongle


class UsbBoard(msgspec.Struct, frozen=True):
    vid: int
    pid: int | None  # None: any product of the vendor
    what: str

    def matches(self, vid: int | None, pid: int | None) -> bool:
        return vid == self.vid and (self.pid is None or pid == self.pid)

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.pid is not None else f"{self.vid:04X}:*"


# In the order they are probed: the sniffer firmware's own id first (README, "Finding the
# sniffer", lists them).
SNIFFER_BOARDS = (
    UsbBoard(NORDIC_VID, SNIFFER_PID, "nRF52840 Dongle running nRF Sniffer 4.x"),
    UsbBoard(NORDIC_VID, None, "other Nordic USB devices (nRF52840 Dongle, nRF5340 DK)"),
    UsbBoard(0x1366, None, "SEGGER J-Link OB serial port of Nordic DKs (nRF51/nRF52 DK)"),
    UsbBoard(0x10C4, 0xEA60, "Silicon Labs CP210x of Adafruit's Bluefruit LE Sniffer"),
    UsbBoard(0x0403, 0x6015, "FTDI FT231X of earlier Adafruit Bluefruit LE Sniffers"),
)


class PortInfo(msgspec.Struct, frozen=True):
    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None


def listed() -> list[PortInfo]:
    """Every serial port pyserial lists (pseudo-terminals are never listed)."""
    return [
        PortInfo(p.device, p.vid, p.pid, p.serial_number or None) for p in list_ports.comports()
    ]


def board_of(port: PortInfo) -> UsbBoard | None:
    return next((b for b in SNIFFER_BOARDS if b.matches(port.vid, port.pid)), None)


def candidate_ports() -> list[PortInfo]:
    """The ports that look like a sniffer board, the likeliest first."""
    ranked = [(SNIFFER_BOARDS.index(b), p) for p in listed() if (b := board_of(p)) is not None]
    return [p for _, p in sorted(ranked, key=lambda pair: pair[0])]


def info_of(device: str) -> PortInfo | None:
    """The listing of `device` (a symlink such as /dev/serial/by-id/... resolved)."""
    real = os.path.realpath(device)
    return next((p for p in listed() if os.path.realpath(p.device) == real), None)


def by_serial_number(serial_number: str, vid: int | None, pid: int | None) -> list[str]:
    """The ports of the USB device with this serial number (a re-plugged dongle's new name)."""
    return [
        p.device
        for p in listed()
        if p.serial_number == serial_number and (p.vid, p.pid) == (vid, pid)
    ]
