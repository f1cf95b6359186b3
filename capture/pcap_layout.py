"""Which record layout a pcap file with the standard magic really has.

Some old libpcap builds (RedHat 6.1's, SuSE 6.3's, Nokia IPSO's ...) wrote records with
extra fields after the standard 16-byte record header (interface index, protocol, packet
type ...) under the standard magic number. Read as standard, every record after the first
is misaligned and the file looks damaged after one frame. Wireshark tells them apart by
trying each layout on the first records; so does this, and the pcap reader then skips
the extra fields.
"""

from __future__ import annotations

import struct

from attscope.capture.reader import MAX_RECORD

STANDARD = 16
# record header sizes of the variants wiretap knows: Nokia (20), "modified" / RedHat 6.1
# and SuSE 6.3 (24), the 990915 patch (28)
VARIANTS = (20, 24, 28)
PROBE_RECORDS = 8  # records a layout must parse to win


def records_parsed(data: bytes, order: str, header: int) -> int:
    """How many records from the start of `data` (the bytes after the file header) parse
    with `header`-byte record headers, up to PROBE_RECORDS; a record cut by the end of
    `data` counts as parsed only when it is the last of the file (`data` is all there is)."""
    unpack = struct.Struct(order + "IIII").unpack_from
    pos = count = 0
    while count < PROBE_RECORDS and pos + header <= len(data):
        _sec, _frac, incl, orig = unpack(data, pos)
        if incl > MAX_RECORD or orig < incl or orig > 16 * MAX_RECORD:
            return count
        pos += header + incl
        if pos > len(data):
            return count
        count += 1
    return count


def record_header_size(data: bytes, order: str, complete: bool) -> int:
    """The record header size that explains the file's first records: the standard one
    unless it fails where a variant's goes on. A short file is a variant only if that
    layout reads more of its records than the standard one and ends where the file does:
    a standard file cut short may end cleanly under a variant's layout by chance, and
    what both layouts explain equally is read as standard (with a warning for the cut)."""
    standard = records_parsed(data, order, STANDARD)
    if standard >= PROBE_RECORDS or (complete and _ends_cleanly(data, order, STANDARD)):
        return STANDARD
    best, size = standard, STANDARD
    for header in VARIANTS:
        parsed = records_parsed(data, order, header)
        short = complete and parsed > standard and _ends_cleanly(data, order, header)
        if parsed > best + 1 or short:
            best, size = parsed, header
    return size


def _ends_cleanly(data: bytes, order: str, header: int) -> bool:
    """Every record of a short file parses with this header size, ending at its end."""
    unpack = struct.Struct(order + "IIII").unpack_from
    pos = 0
    while pos + header <= len(data):
        _sec, _frac, incl, orig = unpack(data, pos)
        if incl > MAX_RECORD or orig < incl:
            return False
        pos += header + incl
    return pos == len(data)
