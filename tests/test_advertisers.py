"""Devices heard advertising: counted per address against tshark on every real capture
(air adverts and HCI advertising reports), and what their AD structures say, on made-up
packets and on the real mouse."""

from __future__ import annotations

from collections import Counter

import pytest
from corpus import corpus_files, need_corpus, tshark_fields

from attscope.capture import Frame, open_capture
from attscope.capture.frame import Direction, Encap, HciType, SnifferInfo
from attscope.dissector.analysis.advertisers import Advertiser
from attscope.dissector.analysis.analyzer import Analyzer

LEGACY_ADVERTISER_PDUS = {"0x00", "0x01", "0x02", "0x04", "0x06"}  # carry AdvA as heard
ADVERTISING_REPORTS = {"0x02", "0x0d"}  # LE (Extended) Advertising Report


def devices_of(frames: list[Frame]) -> dict[tuple[str, bool], Advertiser]:
    analyzer = Analyzer(retain=False)
    for frame in frames:
        analyzer.feed(frame)
    return {d.key: d for d in analyzer.advertisers}


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_files())
def test_packets_per_advertiser_agree_with_tshark(name: str) -> None:
    path = need_corpus(name)
    frames = list(open_capture(path))
    found = devices_of(frames)
    ours = Counter({key: d.packets for key, d in found.items()})
    fields = [
        "frame.number",
        "btle.advertising_header.pdu_type",
        "btle.advertising_address",
        "btle.advertising_header.randomized_tx",
        "bthci_evt.le_meta_subevent",
        "bthci_evt.bd_addr",
        "bthci_evt.le_peer_address_type",
    ]
    theirs: Counter[tuple[str, bool]] = Counter()
    for number, pdu_type, adv_a, tx_random, subevent, addresses, kinds in tshark_fields(
        path, fields
    ):
        frame = frames[int(number) - 1]
        if frame.sniffer is not None and frame.sniffer.crc_ok is False:
            continue  # a damaged advert names no device (and tshark shows it anyway)
        if pdu_type in LEGACY_ADVERTISER_PDUS and adv_a:
            theirs[(adv_a.upper(), tx_random in ("1", "True"))] += 1
        elif subevent in ADVERTISING_REPORTS and addresses:
            types = kinds.split(",") if kinds else []
            for i, address in enumerate(addresses.split(",")):
                random = i < len(types) and int(types[i], 0) & 1 == 1
                theirs[(address.upper(), random)] += 1
    assert ours == theirs


def _adv(
    index: int, pdu_type: int, payload: bytes, *, random: bool = True, crc_ok: bool = True
) -> Frame:
    header = bytes((pdu_type | (0x40 if random else 0), len(payload)))
    ll = bytes.fromhex("d6be898e") + header + payload + b"\x00\x00\x00"
    info = SnifferInfo(
        channel=37, rssi=-40 - index, crc_checked=True, crc_ok=crc_ok, advertising=True
    )
    return Frame(index, 1_000_000 * index, 256, Encap.LE_LL, Direction.UNKNOWN, ll, sniffer=info)


ADDRESS = bytes.fromhex("c0ffee123456")[::-1]  # AdvA as sent: least significant octet first
SCANNER = bytes.fromhex("112233445566")[::-1]


def test_names_services_and_counts_from_legacy_adverts() -> None:
    ad = b"\x02\x01\x06" + b"\x04\x08Hrm" + b"\x03\x03\x0d\x18" + b"\x03\x19\x41\x03"
    response = b"\x0a\x09Heart 42!" + b"\x05\xff\x59\x00\x01\x02" + b"\x02\x0a\xf8"
    frames = [
        _adv(1, 0x0, ADDRESS + ad),  # ADV_IND: shortened name first
        _adv(2, 0x3, SCANNER + ADDRESS),  # SCAN_REQ from a scanner: not an advert heard
        _adv(3, 0x4, ADDRESS + response),  # SCAN_RSP: the complete name wins
        _adv(4, 0x0, ADDRESS + ad),  # the shortened name again: the complete one stays
        _adv(5, 0x0, ADDRESS + b"\x03\x09XX", crc_ok=False),  # damaged: ignored
    ]
    found = devices_of(frames)
    assert list(found) == [("C0:FF:EE:12:34:56", True)]
    d = found[("C0:FF:EE:12:34:56", True)]
    assert (d.name, d.appearance, d.company_id, d.tx_power) == ("Heart 42!", 0x0341, 0x0059, -8)
    assert d.services == ["180d"] and d.connectable
    assert (d.packets, d.first_frame, d.last_frame) == (3, 1, 4)
    assert (d.rssi, d.best_rssi) == (-44, -41)
    assert d.pdu_types == ["ADV_IND", "SCAN_RSP"]


def test_hci_advertising_reports_and_unavailable_rssi() -> None:
    def report(index: int, event_type: int, rssi: int, data: bytes) -> Frame:
        body = bytes((0x02, 1, event_type, 0x00)) + ADDRESS + bytes((len(data),)) + data
        body += rssi.to_bytes(1, "little", signed=True)
        payload = bytes((0x3E, len(body))) + body
        return Frame(
            index,
            index,
            1002,
            Encap.HCI,
            Direction.CONTROLLER_TO_HOST,
            payload,
            hci_type=HciType.EVENT,
        )

    frames = [report(1, 3, 127, b"\x05\x09Bulb"), report(2, 3, -70, b"")]
    found = devices_of(frames)
    d = found[("C0:FF:EE:12:34:56", False)]
    assert (d.name, d.rssi, d.packets, d.connectable) == ("Bulb", -70, 2, False)
    assert d.pdu_types == ["ADV_NONCONN_IND"]


@pytest.mark.corpus
def test_the_real_mouse() -> None:
    found = devices_of(list(open_capture(need_corpus("nrf3_hid_mouse.pcapng"))))
    mouse = found[("E2:E0:6B:31:00:54", False)]
    assert mouse.name == "BT5.0 Mouse" and mouse.appearance == 0x03C2
    assert mouse.services == ["1812"] and mouse.connectable
