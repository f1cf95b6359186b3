"""Air-capture records: nordic_ble (272, and 157 from the legacy Adafruit sniffer), the LE
pseudo-header (256), raw LE link layer (251, 147) and PPI (192) wrapping any of them.

Each decoder takes the pseudo-header off and keeps what it said in `SnifferInfo`; the
payload is the LE packet from the access address to the CRC. Layouts: the nRF Sniffer
reference (shared docs, sections 3, 6, 11) and tcpdump's LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import msgspec

from attscope.capture import linktypes as lt
from attscope.capture.frame import LE_ADVERTISING_AA, Direction, Encap, Frame, SnifferInfo
from attscope.capture.hci_records import RecordDecoder

C2P = Direction.CENTRAL_TO_PERIPHERAL
P2C = Direction.PERIPHERAL_TO_CENTRAL

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_EVENT = struct.Struct("<BBBBHI")  # hlen, flags, channel, rssi magnitude, event counter, time
_PHDR = struct.Struct("<BbbBIH")  # rf channel, signal, noise, AA offenses, ref AA, flags
_PPI = struct.Struct("<BBHI")  # version, flags, header length, inner link type
_PPI_FIELD = struct.Struct("<HH")
_PPI_BTLE = 30006  # Ubertooth's PPI field: version, channel MHz, clock, RSSI stats

# nordic_ble event-header flag bits
NB_CRC_OK = 0x01
NB_C2P = 0x02
NB_ENCRYPTED = 0x04
NB_MIC_OK = 0x08
NB_PACKET_IDS_V3 = {0x02: True, 0x06: False}  # id -> advertising-channel PDU
NB_OLD_PACKET_ID = 0x00  # radio packets in some older files (see decode_nordic)

# LE pseudo-header flag bits
PH_DEWHITENED = 0x0001
PH_SIGNAL_VALID = 0x0002
PH_NOISE_VALID = 0x0004
PH_DECRYPTED = 0x0008
PH_REF_AA_VALID = 0x0010
PH_AA_OFFENSES_VALID = 0x0020
PH_CRC_CHECKED = 0x0400
PH_CRC_VALID = 0x0800
PH_MIC_CHECKED = 0x1000
PH_MIC_VALID = 0x2000


def rf_to_index(rf: int) -> int:
    """RF channel (2402 + 2k MHz) to the LE channel index."""
    if rf == 0:
        return 37
    if rf == 12:
        return 38
    if rf == 39:
        return 39
    return rf - 1 if rf < 12 else rf - 2


def index_to_rf(index: int) -> int:
    if index == 37:
        return 0
    if index == 38:
        return 12
    if index == 39:
        return 39
    return index + 1 if index <= 10 else index + 2


def _holds_le_packet(data: bytes, start: int) -> bool:
    """An event header and, after it, an LE packet whose length byte fits the record: access
    address, PDU header, payload, CRC (Core 5.4 Vol 6 Part B 2.1)."""
    if len(data) < start + 10 or data[start] < 10:
        return False
    ll = data[start + data[start] :]
    return len(ll) >= 9 and len(ll) == 9 + ll[5]


def _is_adv_aa(ll: bytes) -> bool:
    return len(ll) >= 4 and _U32.unpack_from(ll)[0] == LE_ADVERTISING_AA


def _damaged(
    linktype: int,
    index: int,
    ts: int,
    data: bytes,
    off: int,
    iface: int,
    orig: int | None,
    why: str,
) -> Frame:
    return Frame(
        index,
        ts,
        linktype,
        Encap.LE_LL,
        Direction.UNKNOWN,
        data,
        off,
        iface,
        orig,
        problem=why,
    )


# -- nordic_ble ------------------------------------------------------------------------


def _nordic_info(
    flags: int,
    channel: int,
    rssi: int,
    counter: int,
    fw_time: int,
    advertising: bool,
    board: int | None,
    protover: int,
    pc: int,
    pid: int,
    raw_header: bytes | None = None,
) -> SnifferInfo:
    encrypted = bool(flags & NB_ENCRYPTED)
    return SnifferInfo(
        channel=channel,
        rssi=-rssi,
        crc_checked=True,
        crc_ok=bool(flags & NB_CRC_OK),
        encrypted=encrypted,
        mic_checked=encrypted,
        mic_ok=bool(flags & NB_MIC_OK) if encrypted else None,
        phy=(flags >> 4) & 0x07,
        event_counter=counter,
        advertising=advertising,
        flags=flags,
        board_id=board,
        protover=protover,
        packet_counter=pc,
        packet_id=pid,
        fw_time=fw_time,
        raw_header=raw_header,
    )


def decode_nordic(
    linktype: int, index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None
) -> Frame:
    """A nordic_ble record: board id, UART header (v1, v2, v3), event header, LE packet."""
    n = len(data)
    if n >= 17 and data[0] == 0xBE and data[1] == 0xEF:
        return _decode_nordic_legacy(linktype, index, ts, data, off, iface, orig)
    if n < 7:
        return _damaged(
            linktype,
            index,
            ts,
            data,
            off,
            iface,
            orig,
            f"nordic_ble header needs 7 bytes, record has {n}",
        )
    board, protover = data[0], data[3]
    if protover == 1:
        start = 1 + data[1]
    elif protover in (2, 3):
        start = 7
    else:
        return _damaged(
            linktype,
            index,
            ts,
            data,
            off,
            iface,
            orig,
            f"nordic_ble protocol version {protover} is unknown",
        )
    pc = _U16.unpack_from(data, 4)[0]
    pid = data[6]
    advertising_id = NB_PACKET_IDS_V3.get(pid) if protover == 3 else (False if pid == 6 else None)
    if advertising_id is None and pid == NB_OLD_PACKET_ID and _holds_le_packet(data, start):
        # older firmware and some research tools wrote radio packets with id 0 (a host
        # command id that never comes from the device): tshark decodes them, so do we
        advertising_id = _is_adv_aa(data[start + data[start] :])
    if advertising_id is None:
        # a control record (ping, version ...): no radio packet inside
        info = SnifferInfo(board_id=board, protover=protover, packet_counter=pc, packet_id=pid)
        return Frame(
            index,
            ts,
            linktype,
            Encap.OTHER,
            Direction.UNKNOWN,
            data[start:],
            off,
            iface,
            orig,
            sniffer=info,
        )
    if n < start + 10:
        return _damaged(
            linktype,
            index,
            ts,
            data,
            off,
            iface,
            orig,
            f"nordic_ble event header cut short ({n - start} of 10 bytes)",
        )
    hlen, flags, channel, rssi, counter, fw_time = _EVENT.unpack_from(data, start)
    if hlen < 10 or start + hlen > n:
        return _damaged(
            linktype,
            index,
            ts,
            data,
            off,
            iface,
            orig,
            f"nordic_ble event header length {hlen} is impossible",
        )
    ll = data[start + hlen :]
    advertising = advertising_id if protover == 3 else _is_adv_aa(ll)
    info = _nordic_info(
        flags, channel, rssi, counter, fw_time, advertising, board, protover, pc, pid
    )
    direction = Direction.UNKNOWN if advertising else (C2P if flags & NB_C2P else P2C)
    return Frame(index, ts, linktype, Encap.LE_LL, direction, ll, off, iface, orig, sniffer=info)


def _decode_nordic_legacy(
    linktype: int, index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None
) -> Frame:
    """The 0.9.7 layout: BE EF, id, counter, 2 unused, length, flags, channel, RSSI,
    event counter, delta time, LE packet (nRF Sniffer reference, 11.4)."""
    pid = data[2]
    pc = _U16.unpack_from(data, 3)[0]
    flags, channel, rssi = data[8], data[9], data[10]
    counter = _U16.unpack_from(data, 11)[0]
    fw_time = _U32.unpack_from(data, 13)[0]
    ll = data[17:]
    advertising = _is_adv_aa(ll)
    info = _nordic_info(
        flags, channel, rssi, counter, fw_time, advertising, None, 0, pc, pid, raw_header=data[:17]
    )
    direction = Direction.UNKNOWN if advertising else (C2P if flags & NB_C2P else P2C)
    return Frame(index, ts, linktype, Encap.LE_LL, direction, ll, off, iface, orig, sniffer=info)


def encode_nordic(frame: Frame) -> bytes:
    """A nordic_ble record for an LE frame; a frame read from nordic_ble comes back as it was.

    Frames from other sources are written as protocol version 3 with flags built from
    what their sniffer said."""
    s = frame.sniffer or SnifferInfo()
    ll = frame.payload
    if s.protover == 0 and s.raw_header is not None:
        return s.raw_header + ll
    if frame.encap == Encap.OTHER:  # a control record: UART header and its payload only
        return (
            _uart_header(
                s.protover or 3, len(ll), s.packet_counter or 0, s.packet_id or 0, s.board_id or 0
            )
            + ll
        )
    advertising = s.advertising if s.advertising is not None else _is_adv_aa(ll)
    if s.protover is not None and frame.linktype in (lt.NORDIC_BLE, lt.USER10):
        flags = s.flags
    else:
        flags = (
            (NB_CRC_OK if s.crc_ok is not False else 0)
            | (NB_C2P if frame.direction == C2P else 0)
            | (NB_ENCRYPTED if s.encrypted else 0)
            | (NB_MIC_OK if s.mic_ok else 0)
            | (s.phy & 0x07) << 4
        )
    protover = s.protover if s.protover in (1, 2, 3) else 3
    board = s.board_id if s.board_id is not None and s.board_id != 0xBE else 0
    pc = s.packet_counter if s.packet_counter is not None else frame.index & 0xFFFF
    pid = (
        s.packet_id
        if s.packet_id is not None
        else (0x02 if advertising and protover == 3 else 0x06)
    )
    fw_time = s.fw_time if s.fw_time is not None else frame.ts_us & 0xFFFFFFFF
    rssi = min(255, max(0, -s.rssi)) if s.rssi is not None else 0
    event = _EVENT.pack(10, flags, s.channel or 0, rssi, s.event_counter or 0, fw_time)
    return _uart_header(protover, len(event) + len(ll), pc, pid, board) + event + ll


def _uart_header(protover: int, plen: int, pc: int, pid: int, board: int) -> bytes:
    """Board id and UART header (v1 layout, or the u16-length layout of v2 and v3)."""
    if protover == 1:
        if plen > 255:
            raise ValueError(f"{plen} payload bytes do not fit a v1 nordic_ble record")
        return bytes((board, 6, plen, 1)) + _U16.pack(pc) + bytes((pid,))
    return bytes((board,)) + _U16.pack(plen) + bytes((protover,)) + _U16.pack(pc) + bytes((pid,))


# -- LE link layer with pseudo-header (256) ----------------------------------------------


def _phdr_info(
    rf: int, signal: int, noise: int, offenses: int, ref_aa: int, flags: int, ll: bytes
) -> tuple[SnifferInfo, Direction]:
    pdu_type = (flags >> 7) & 0x07
    direction = C2P if pdu_type == 2 else P2C if pdu_type == 3 else Direction.UNKNOWN
    crc_checked = bool(flags & PH_CRC_CHECKED)
    mic_checked = bool(flags & PH_MIC_CHECKED)
    signal_valid, noise_valid = flags & PH_SIGNAL_VALID, flags & PH_NOISE_VALID
    info = SnifferInfo(
        channel=rf_to_index(rf) if rf < 40 else None,
        rssi=signal if signal_valid else None,
        noise=noise if noise_valid else None,
        crc_checked=crc_checked,
        crc_ok=bool(flags & PH_CRC_VALID) if crc_checked else None,
        encrypted=mic_checked or bool(flags & PH_DECRYPTED),
        mic_checked=mic_checked,
        mic_ok=bool(flags & PH_MIC_VALID) if mic_checked else None,
        decrypted=bool(flags & PH_DECRYPTED),
        phy=(flags >> 14) & 0x03,
        advertising=(pdu_type in (0, 1) and _is_adv_aa(ll)) or pdu_type == 1,
        flags=flags,
        aa_offenses=offenses,
        ref_aa=ref_aa,
        raw_signal=None if signal_valid else signal,
        raw_noise=None if noise_valid else noise,
    )
    return info, direction


def decode_phdr(
    linktype: int, index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None
) -> Frame:
    if len(data) < 10:
        return _damaged(
            linktype,
            index,
            ts,
            data,
            off,
            iface,
            orig,
            f"LE pseudo-header needs 10 bytes, record has {len(data)}",
        )
    ll = data[10:]
    rf, signal, noise, offenses, ref_aa, flags = _PHDR.unpack_from(data)
    info, direction = _phdr_info(rf, signal, noise, offenses, ref_aa, flags, ll)
    return Frame(index, ts, linktype, Encap.LE_LL, direction, ll, off, iface, orig, sniffer=info)


def encode_phdr(frame: Frame) -> bytes:
    """A 256 record; a frame read from 256 comes back as it was."""
    s = frame.sniffer or SnifferInfo()
    if s.aa_offenses is not None:  # read from a 256 record: its own flags
        flags = s.flags
    else:
        pdu_type = 2 if frame.direction == C2P else 3 if frame.direction == P2C else 0
        flags = (
            PH_DEWHITENED
            | (PH_SIGNAL_VALID if s.rssi is not None else 0)
            | (PH_NOISE_VALID if s.noise is not None else 0)
            | (PH_DECRYPTED if s.decrypted else 0)
            | pdu_type << 7
            | (PH_CRC_CHECKED if s.crc_checked else 0)
            | (PH_CRC_VALID if s.crc_ok else 0)
            | (PH_MIC_CHECKED if s.mic_checked else 0)
            | (PH_MIC_VALID if s.mic_ok else 0)
            | (s.phy & 0x03) << 14
        )
    rf = index_to_rf(s.channel) if s.channel is not None else 0
    # without a valid value: the byte the record had (read from 256), else 0 and -128
    signal = s.rssi if s.rssi is not None else s.raw_signal or 0
    noise = s.noise if s.noise is not None else s.raw_noise if s.raw_noise is not None else -128
    header = _PHDR.pack(
        rf,
        max(-128, min(127, signal)),
        max(-128, min(127, noise)),
        s.aa_offenses or 0,
        s.ref_aa or 0,
        flags,
    )
    return header + frame.payload


# -- raw LE link layer (251, and 147 as Ubertooth's PPI files use it) --------------------


def decode_raw_ll(
    linktype: int, index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None
) -> Frame:
    info = SnifferInfo(advertising=_is_adv_aa(data)) if len(data) >= 4 else None
    return Frame(
        index, ts, linktype, Encap.LE_LL, Direction.UNKNOWN, data, off, iface, orig, sniffer=info
    )


# -- PPI (192) ---------------------------------------------------------------------------


def decode_ppi(
    linktype: int, index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None
) -> Frame:
    if len(data) < 8:
        return _damaged(
            linktype,
            index,
            ts,
            data,
            off,
            iface,
            orig,
            f"PPI header needs 8 bytes, record has {len(data)}",
        )
    _version, _flags, hlen, inner = _PPI.unpack_from(data)
    if hlen < 8 or hlen > len(data):
        return _damaged(
            linktype,
            index,
            ts,
            data,
            off,
            iface,
            orig,
            f"PPI header length {hlen} does not fit the {len(data)}-byte record",
        )
    body = data[hlen:]
    channel = None
    pos = 8
    while pos + 4 <= hlen:
        ftype, flen = _PPI_FIELD.unpack_from(data, pos)
        if ftype == _PPI_BTLE and flen >= 3 and pos + 4 + flen <= hlen:
            mhz = _U16.unpack_from(data, pos + 5)[0]
            if 2402 <= mhz <= 2480 and mhz % 2 == 0:
                channel = rf_to_index((mhz - 2402) // 2)
        pos += 4 + flen
    if inner == lt.BLUETOOTH_LE_LL_WITH_PHDR:
        frame = decode_phdr(linktype, index, ts, body, off, iface, orig)
    elif inner == lt.NORDIC_BLE:
        frame = decode_nordic(linktype, index, ts, body, off, iface, orig)
    elif inner in (lt.BLUETOOTH_LE_LL, lt.USER0):
        frame = decode_raw_ll(linktype, index, ts, body, off, iface, orig)
    else:
        frame = Frame(
            index,
            ts,
            linktype,
            Encap.OTHER,
            Direction.UNKNOWN,
            body,
            off,
            iface,
            orig,
            problem=f"PPI wraps link type {inner}, which attscope does not read",
        )
    base = frame.sniffer or SnifferInfo()
    info = msgspec.structs.replace(
        base,
        inner_linktype=inner,
        raw_header=data[:hlen],
        channel=base.channel if base.channel is not None else channel,
    )
    # a damaged inner record keeps the whole PPI record as payload, as every damaged frame does
    payload = data if frame.problem is not None else frame.payload
    return msgspec.structs.replace(frame, sniffer=info, payload=payload)


def encode_ppi(frame: Frame) -> bytes:
    """A PPI record for a frame read from one: its PPI header as read, then the inner record
    (raw LE link layer, the LE pseudo-header or nordic_ble v1-v3) rebuilt from the frame."""
    s = frame.sniffer
    if s is None or s.raw_header is None or s.inner_linktype is None:
        raise ValueError(f"frame {frame.index} has no PPI header to write")
    inner = s.inner_linktype
    if inner in (lt.BLUETOOTH_LE_LL, lt.USER0):
        return s.raw_header + frame.payload
    unwrapped = msgspec.structs.replace(
        frame,
        linktype=inner,
        sniffer=msgspec.structs.replace(s, raw_header=None, inner_linktype=None),
    )
    if inner == lt.BLUETOOTH_LE_LL_WITH_PHDR:
        return s.raw_header + encode_phdr(unwrapped)
    if inner == lt.NORDIC_BLE and s.protover != 0:
        return s.raw_header + encode_nordic(unwrapped)
    raise ValueError(f"frame {frame.index}: attscope does not write PPI around link type {inner}")


def _bind(linktype: int, fn: Callable[..., Frame]) -> RecordDecoder:
    def decode(index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None) -> Frame:
        return fn(linktype, index, ts, data, off, iface, orig)

    return decode


DECODERS: dict[int, RecordDecoder] = {
    lt.NORDIC_BLE: _bind(lt.NORDIC_BLE, decode_nordic),
    lt.USER10: _bind(lt.USER10, decode_nordic),
    lt.BLUETOOTH_LE_LL_WITH_PHDR: _bind(lt.BLUETOOTH_LE_LL_WITH_PHDR, decode_phdr),
    lt.BLUETOOTH_LE_LL: _bind(lt.BLUETOOTH_LE_LL, decode_raw_ll),
    lt.USER0: _bind(lt.USER0, decode_raw_ll),
    lt.PPI: _bind(lt.PPI, decode_ppi),
}
