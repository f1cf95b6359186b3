"""Devices seen advertising: what a scan tells about each, from air captures (advertising
PDUs with the sniffer's RSSI) and from HCI logs (LE (Extended) Advertising Reports).

One `Advertiser` per address and address type; its name, appearance, services, company
and TX power come from the AD structures it sent (advertising data and scan responses,
Core Supplement Part A), parsed only when the data changed, since advertisers repeat
themselves many times a second.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from attscope.capture.frame import Frame
from attscope.dissector.decoding.ad_structures import (
    Appearance,
    BroadcastName,
    CompleteLocalName,
    ManufacturerData,
    ShortenedLocalName,
    TxPowerLevel,
    Uuid16Complete,
    Uuid16Incomplete,
    Uuid32Complete,
    Uuid32Incomplete,
    Uuid128Complete,
    Uuid128Incomplete,
    parse_ad,
)
from attscope.dissector.decoding.hci_events import (
    ADV_REPORT_TYPES,
    LeAdvertisingReport,
    LeExtendedAdvertisingReport,
)
from attscope.dissector.decoding.hci_names import address_text
from attscope.dissector.decoding.ll_adv import AdvPdu, ExtendedAdvPdu, ScanReq
from attscope.dissector.decoding.ll_data import LlPacket

# legacy PDU types (Vol 6 Part B 2.3) and HCI report event types that accept connections
_CONNECTABLE_PDUS = {"ADV_IND", "ADV_DIRECT_IND"}
_HCI_CONNECTABLE = {0, 1}  # LE Advertising Report: ADV_IND, ADV_DIRECT_IND
_HCI_SCAN_RSP = 4
_RSSI_UNAVAILABLE = 127  # HCI reports (Vol 4 Part E 7.7.65.2)
_EXT_CONNECTABLE = 0x01  # extended report event type bit 0
_EXT_SCAN_RSP = 0x08
_SERVICE_LISTS = (  # the services it offers; solicitation lists name the peer's
    Uuid16Complete,
    Uuid16Incomplete,
    Uuid32Complete,
    Uuid32Incomplete,
    Uuid128Complete,
    Uuid128Incomplete,
)


MAX_DEVICES = 10_000  # devices kept; reports of others are counted (`unkept`)
MAX_SERVICES = 256  # services kept per device (a legacy advert holds at most 14)

# the record types `observe` learns from, for a caller to test first on its hot path
CARRIERS = frozenset({LlPacket, LeAdvertisingReport, LeExtendedAdvertisingReport})


class Advertiser(msgspec.Struct, kw_only=True):
    """A device heard advertising. `rssi` is the last reading, `best_rssi` the strongest."""

    address: str
    random: bool
    name: str | None = None
    appearance: int | None = None
    company_id: int | None = None
    services: list[str] = msgspec.field(default_factory=list)
    tx_power: int | None = None
    connectable: bool = False
    pdu_types: list[str] = msgspec.field(default_factory=list)
    packets: int = 0
    rssi: int | None = None
    best_rssi: int | None = None
    first_frame: int = 0
    last_frame: int = 0
    first_us: int = 0
    last_us: int = 0
    identity: str | None = None  # a resolvable private address's device, with its IRK

    @property
    def key(self) -> tuple[str, bool]:
        return (self.address, self.random)

    @property
    def address_type(self) -> str:
        return "random" if self.random else "public"


class AdvertiserTracker:
    """`observe(frame, pdu)` for every packet outside a connection; `devices` in the order
    they were first heard."""

    def __init__(self, resolve: Callable[[str], str | None] | None = None) -> None:
        self._resolve = resolve  # a random address -> its device's identity, if an IRK says
        self.devices: dict[tuple[str, bool], Advertiser] = {}
        self.unkept = 0  # reports of devices past MAX_DEVICES
        self._last_data: dict[tuple[str, bool, bool], bytes] = {}
        self._services: dict[tuple[str, bool], set[str]] = {}  # for membership tests

    def resolve_all(self) -> None:
        """Each random address an IRK known now resolves gets its device's identity (IRKs
        may be learnt after the device was first heard)."""
        resolve = self._resolve
        if resolve is None:
            return
        for device in self.devices.values():
            if device.random and device.identity is None:
                device.identity = resolve(device.address)

    def observe(self, frame: Frame, pdu: object) -> None:
        if isinstance(pdu, LlPacket):
            sniffer = frame.sniffer
            if sniffer is not None and sniffer.crc_ok is False:
                return  # a damaged packet would invent devices with damaged addresses
            if isinstance(pdu.pdu, AdvPdu):
                self._air(frame, pdu.pdu)
        elif isinstance(pdu, LeAdvertisingReport):
            for r in pdu.reports:
                rssi = None if r.rssi == _RSSI_UNAVAILABLE else r.rssi
                name = ADV_REPORT_TYPES.get(r.event_type, f"report type {r.event_type}")
                device = self._heard(frame, address_text(r.address), r.address_type & 1, rssi)
                if device is None:
                    continue
                self._pdu(device, name, r.event_type in _HCI_CONNECTABLE)
                self._data(device, r.data, r.event_type == _HCI_SCAN_RSP)
        elif isinstance(pdu, LeExtendedAdvertisingReport):
            for e in pdu.reports:
                rssi = None if e.rssi == _RSSI_UNAVAILABLE else e.rssi
                device = self._heard(frame, address_text(e.address), e.address_type & 1, rssi)
                if device is None:
                    continue
                legacy = "legacy" if e.event_type & 0x10 else "extended"
                self._pdu(device, f"{legacy} report", bool(e.event_type & _EXT_CONNECTABLE))
                self._data(device, e.data, bool(e.event_type & _EXT_SCAN_RSP))

    def _air(self, frame: Frame, pdu: AdvPdu) -> None:
        if isinstance(pdu, ScanReq):
            return  # the scanner's packet: it says nothing about the advertiser
        adv_a = getattr(pdu, "adv_a", None)
        if adv_a is None:
            return  # anonymous extended advertising, AUX_CHAIN_IND without AdvA ...
        if pdu.name in ("CONNECT_IND", "AUX_CONNECT_REQ"):
            device = self.devices.get((adv_a.addr, adv_a.random))
            if device is not None:  # the initiator's packet; it proves connectability
                device.connectable = True
            return
        rssi = frame.sniffer.rssi if frame.sniffer is not None else None
        device = self._heard(frame, adv_a.addr, adv_a.random, rssi)
        if device is None:
            return
        connectable = pdu.name in _CONNECTABLE_PDUS or (
            isinstance(pdu, ExtendedAdvPdu) and pdu.adv_mode == 1
        )
        self._pdu(device, pdu.name, connectable)
        data: bytes = getattr(pdu, "adv_data", b"") or getattr(pdu, "scan_rsp_data", b"")
        self._data(device, data, pdu.name in ("SCAN_RSP", "AUX_SCAN_RSP"))

    def _heard(
        self, frame: Frame, address: str, random: bool | int, rssi: int | None
    ) -> Advertiser | None:
        key = (address, bool(random))
        device = self.devices.get(key)
        if device is None:
            if len(self.devices) >= MAX_DEVICES:
                self.unkept += 1
                return None
            device = self.devices[key] = Advertiser(
                address=address,
                random=bool(random),
                first_frame=frame.index,
                first_us=frame.ts_us,
            )
        device.packets += 1
        device.last_frame = frame.index
        device.last_us = frame.ts_us
        if rssi is not None:
            device.rssi = rssi
            if device.best_rssi is None or rssi > device.best_rssi:
                device.best_rssi = rssi
        return device

    @staticmethod
    def _pdu(device: Advertiser, name: str, connectable: bool) -> None:
        if name not in device.pdu_types:
            device.pdu_types.append(name)
        device.connectable |= connectable

    def _data(self, device: Advertiser, data: bytes, scan_response: bool) -> None:
        key = (device.address, device.random, scan_response)
        if not data or self._last_data.get(key) == data:
            return
        self._last_data[key] = data
        for item in parse_ad(data):
            if isinstance(item, CompleteLocalName | BroadcastName):
                device.name = item.text
            elif isinstance(item, ShortenedLocalName):
                device.name = device.name or item.text
            elif isinstance(item, Appearance):
                device.appearance = item.value
            elif isinstance(item, ManufacturerData):
                device.company_id = item.company_id
            elif isinstance(item, TxPowerLevel):
                device.tx_power = item.dbm
            elif isinstance(item, _SERVICE_LISTS):
                known = self._services.setdefault(device.key, set())
                for uuid in item.uuids:
                    if uuid not in known and len(known) < MAX_SERVICES:
                        known.add(uuid)
                        device.services.append(uuid)
