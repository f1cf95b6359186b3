"""Capture layer: turn capture files (and, later, a live sniffer) into `Frame`s."""

from attscope.capture.errors import CaptureError, CaptureWarning
from attscope.capture.frame import Direction, Encap, Frame, HciType, SnifferInfo
from attscope.capture.open import open_capture
from attscope.capture.reader import CaptureReader
from attscope.capture.write import write_capture

__all__ = [
    "CaptureError",
    "CaptureReader",
    "CaptureWarning",
    "Direction",
    "Encap",
    "Frame",
    "HciType",
    "SnifferInfo",
    "open_capture",
    "write_capture",
]
