"""The GATT database per server device, value decoding, UUID names and CCCD state.

On the generated heart-rate session the sensor's database must be exactly what the scenario's
server declares (samples/gatt_server.py lays it out); on every real capture each database the
analysis builds must be consistent, and one capture is checked against tshark's UUIDs. The two
warnings are tested on captures written here with the project's own writer.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from bluetooth_numbers import service as sig_services
from corpus import SAMPLES, corpus_files, need_corpus, need_tshark, tshark_fields
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Direction, Encap, Frame, HciType, open_capture, write_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.analysis.gatt_db import GattDatabase, overlapping
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.decoder import Decoder
from attscope.dissector.decoding.gatt_values import (
    ConnectionParameters,
    HeartRateMeasurement,
    decode_value,
    decoded_text,
)
from attscope.dissector.decoding.uuid_names import normalize_uuid, uuid_name

HEART_RATE = SAMPLES / "heart_rate.btsnoop"
SENSOR, PHONE = "F3:7A:2C:91:5D:C8", "3C:28:6D:A1:47:0E"


def analyse(frames: Iterator[Frame] | list[Frame], **options: object) -> Analyzer:
    analyzer = Analyzer(**options)  # type: ignore[arg-type]
    for frame in frames:
        analyzer.feed(frame)
    analyzer.finish()
    return analyzer


@pytest.fixture(scope="module")
def heart_rate() -> Analyzer:
    return analyse(open_capture(HEART_RATE))


def _declared_layout() -> list[tuple[int, int, bytes, int]]:
    """The sensor's attributes as the scenario declares them: (handle, type, value, end)."""
    sys.path.insert(0, str(SAMPLES))
    try:
        import heart_rate as scenario  # samples/heart_rate.py
    finally:
        sys.path.remove(str(SAMPLES))
    server = scenario.gatt_database(types.SimpleNamespace(control_point=lambda value: None))
    return [(a.handle, a.type, a.value, a.group_end) for a in server.attributes]


def _uuid(raw: bytes | int) -> str:
    return f"{raw:04x}" if isinstance(raw, int) else normalize_uuid(raw[::-1].hex())


# -- the generated heart-rate session --------------------------------------------------------


def test_sensor_database_is_what_the_scenario_declares(heart_rate: Analyzer) -> None:
    db = heart_rate.gatt(SENSOR)
    assert db is not None and db.connections == ["0x0040"]
    layout = _declared_layout()
    services = [(h, end, _uuid(v)) for h, t, v, end in layout if t == 0x2800]
    assert [(s.start, s.end, s.uuid, s.primary) for s in db.services] == [
        (*s, True) for s in services
    ]
    assert [s.uuid for s in db.services] == ["1800", "1801", "180d", "180f", "180a"]
    assert [s.name for s in db.services][:3] == [
        "Generic Access",
        "Generic Attribute",
        "Heart Rate",
    ]
    assert db.services[4].name == "Device Information"
    declared = []
    for h, t, v, _ in layout:
        if t == 0x2803:
            props, value_handle = struct.unpack_from("<BH", v)
            declared.append((h, props, value_handle, _uuid(int.from_bytes(v[3:], "little"))))
    assert [(c.declaration, c.properties, c.value_handle, c.uuid) for c in db.characteristics] == (
        declared
    )
    decl_handles = {h for h, t, _, _ in layout if t in (0x2800, 0x2803)}
    value_handles = {c[2] for c in declared}
    descriptors = [(h, f"{t:04x}") for h, t, _, _ in layout
                   if h not in decl_handles | value_handles]  # fmt: skip
    assert [(d.handle, d.uuid) for c in db.characteristics for d in c.descriptors] == descriptors
    hrm = db.characteristic("2a37")
    assert hrm is not None and hrm.property_names == ("notify",) and hrm.cccd == 0x000F
    assert hrm.name == "Heart Rate Measurement"
    assert db.characteristic("2a00").property_names == ("read", "write")  # type: ignore[union-attr]
    for service in db.services:  # every characteristic sits in its service
        for char in service.characteristics:
            assert service.start < char.declaration < char.value_handle <= char.end <= service.end


def test_sensor_cccd_state_per_client(heart_rate: Analyzer) -> None:
    db = heart_rate.gatt(SENSOR)
    assert db is not None
    writes = {t.handle: t for t in heart_rate.transactions() if t.kind == "write"}
    states = {s.handle: s for s in db.cccd_states(PHONE)}
    assert set(states) == {0x000B, 0x000F, 0x0017}  # Service Changed, HRM, Battery Level
    assert states[0x000B].value == 0x0002 and states[0x000B].enabled == ("indications",)
    assert states[0x0017].value == 0x0001 and states[0x0017].enabled == ("notifications",)
    hrm = states[0x000F]  # enabled, then disabled at the end of the workout
    assert hrm.value == 0x0000 and hrm.enabled == () and hrm.frame == writes[0x000F].request_frame
    enabled = [t for t in heart_rate.transactions() if t.handle == 0x000F]
    assert [t.value for t in enabled] == [b"\x01\x00", b"\x00\x00"]
    assert hrm.frame > max(v.frame for v in db.values if v.handle == 0x000E)
    assert db.cccd_states("someone else") == []
    assert not [v for v in heart_rate.violations if v.kind == "notification_without_cccd"]


def test_sensor_last_values_and_frames(heart_rate: Analyzer) -> None:
    db = heart_rate.gatt(SENSOR)
    assert db is not None
    notifications = _notifications(HEART_RATE)
    last_hrm = max(f for h, f in notifications if h == 0x000E)
    hrm = db.value(0x000E)
    assert hrm is not None and hrm.frame == last_hrm and hrm.source == "notification"
    decoded = db.decode(0x000E)
    assert isinstance(decoded, HeartRateMeasurement) and 60 <= decoded.bpm <= 110
    assert decoded.contact is True and decoded.text().startswith(f"{decoded.bpm} bpm, contact")
    battery = db.value(0x0016)
    assert battery is not None and battery.value == b"\x56" and battery.source == "notification"
    assert db.decode(0x0016).text() == "86%"  # type: ignore[union-attr]
    name = db.value(0x0003)  # renamed, then read back
    reads = [t for t in heart_rate.transactions() if t.kind == "read" and t.handle == 0x0003]
    assert name is not None and name.source == "read"
    assert name.frame == reads[-1].response_frame
    assert name.value == b"Lena's HR2 (Tuesday club)"
    assert db.decode(0x0003).text() == '"Lena\'s HR2 (Tuesday club)"'  # type: ignore[union-attr]


def test_transactions_are_named_and_decoded(heart_rate: Analyzer) -> None:
    reads = {t.handle: t for t in heart_rate.transactions() if t.kind == "read"}
    first_name = next(t for t in heart_rate.transactions() if t.handle == 0x0003)
    assert first_name.decoded == '"Northwind HR2 5DC8"'
    assert (first_name.service_uuid, first_name.service_name) == ("1800", "Generic Access")
    assert (first_name.characteristic_uuid, first_name.characteristic_name) == (
        "2a00",
        "Device Name",
    )
    assert first_name.descriptor_uuid is None
    assert reads[0x0016].decoded == "87%"
    assert reads[0x0016].characteristic_name == "Battery Level"
    assert reads[0x0011].decoded == "Chest (1)"
    assert reads[0x001A].decoded == '"Northwind Fitness Labs"'
    assert reads[0x001A].characteristic_name == "Manufacturer Name String"
    pnp = reads[0x0020].decoded
    assert pnp is not None and "(0x0059), product 0x5048, version 0x0102" in pnp
    assert pnp.startswith("vendor Nordic Semiconductor")
    cccd = next(t for t in heart_rate.transactions() if t.handle == 0x000F)
    assert (cccd.descriptor_uuid, cccd.descriptor_name) == (
        "2902",
        "Client Characteristic Configuration",
    )
    assert cccd.characteristic_name == "Heart Rate Measurement"
    assert cccd.decoded == "0x0001: notifications"
    reset = next(t for t in heart_rate.transactions() if t.handle == 0x0013)
    assert reset.decoded == "Reset Energy Expended (1)"
    discovery = [t for t in heart_rate.transactions() if t.kind == "read_by_group_type"]
    assert discovery and all(t.service_uuid is None for t in discovery)


def test_custom_uuid_names() -> None:
    names = {"0x2A37": "Pulse", "180D": "Cardio", "0000180f-0000-1000-8000-00805F9B34FB": "Power"}
    analyzer = analyse(open_capture(HEART_RATE), uuid_names=names)
    db = analyzer.gatt(SENSOR.lower())
    assert db is not None
    assert db.service("180d").name == "Cardio"  # type: ignore[union-attr]
    assert db.service("180f").name == "Power"  # type: ignore[union-attr]
    assert db.characteristic("2a37").name == "Pulse"  # type: ignore[union-attr]
    assert db.characteristic("2a19").name == "Battery Level"  # type: ignore[union-attr]


def _notifications(path: Path) -> list[tuple[int, int]]:
    """(handle, frame) of each notification in a capture, as the decoder sees them."""
    decoder = Decoder()
    found = []
    for frame in open_capture(path):
        pdu = decoder.decode(frame).pdu
        if isinstance(pdu, att.HandleValueNotification):
            found.append((pdu.handle, frame.index))
    return found


# -- names and values ------------------------------------------------------------------------


def test_uuid_names() -> None:
    assert uuid_name("2a37") == "Heart Rate Measurement"
    assert uuid_name("0000180d-0000-1000-8000-00805f9b34fb") == "Heart Rate"
    assert uuid_name("2902") == "Client Characteristic Configuration"
    assert uuid_name("2803") == "Characteristic"
    assert uuid_name("6e400001-b5a3-f393-e0a9-e50e24dcca9e") == "Nordic UART Service"
    assert uuid_name("1111") is None and uuid_name("not a uuid") is None
    assert uuid_name("1234", {"1234": "Mine"}) == "Mine"
    assert uuid_name("2a37", {"2a37": "Pulse"}) == "Pulse"
    assert normalize_uuid("0x2A37") == normalize_uuid("00002a37") == "2a37"
    assert normalize_uuid("{6E400001-B5A3-F393-E0A9-E50E24DCCA9E}") == (
        "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
    )
    assert uuid_name("fe9f") == "Google LLC"  # a member company's UUID
    assert uuid_name("fe95") == "Xiaomi Inc."
    # bluetooth-numbers' service names come first where it has one (Nordic's DFU)
    assert uuid_name("0000fe59-0000-1000-8000-00805f9b34fb") == "Secure DFU Service"
    assert uuid_name("fffa") == "ASTM Remote ID"  # a standards body's


def _tshark_uuid16_names() -> dict[int, str]:
    """tshark's names of 16-bit UUIDs (the value table of btatt.service_uuid16)."""
    out = subprocess.run(
        [need_tshark(), "-G", "values"], capture_output=True, text=True, check=True
    ).stdout
    names = {}
    for line in out.splitlines():
        row = line.split("\t")
        if len(row) == 4 and row[:2] == ["V", "btatt.service_uuid16"]:
            names[int(row[2])] = row[3]
    return names


# Members renamed in the SIG's list after tshark 4.0's table was made: the SIG's name now.
SIG_RENAMED = {
    0xFC9A: "Koppli AB",
    0xFCCC: "Wi-Fi Easy Connect Specification",
    0xFCCD: "Marshall Group AB",
    0xFCFE: "Sonova Consumer Hearing GmbH",
    0xFD62: "Google LLC",
    0xFD63: "Google LLC",
    0xFDB0: "Oura Health Ltd",
    0xFDB1: "Oura Health Ltd",
    0xFDD7: "Copeland Cold Chain LP",
    0xFE04: "Motorola Solutions, Inc.",
    0xFE9E: "Renesas Design Netherlands B.V.",
}


@pytest.mark.tshark
def test_member_uuid_names_agree_with_tshark() -> None:
    """Every 16-bit member or standards-body UUID tshark names (0xFC00 up, its
    btatt.service_uuid16 table) has that name here, or the SIG's newer one, or the
    service's own name where bluetooth-numbers has it ("Fast Pair Service" for Google's
    0xFE2C)."""

    theirs = {u: name for u, name in _tshark_uuid16_names().items() if u >= 0xFC00}
    assert len(theirs) > 600
    named = {uuid: uuid_name(f"{uuid:04x}") for uuid in theirs}
    agreed = [u for u, name in named.items() if name == theirs[u]]
    services = {u for u in named if sig_services.get(u)}
    assert uuid_name("fe2c") == "Fast Pair Service" and 0xFE2C in services
    renamed = {
        u: name for u, name in named.items() if name not in (theirs[u], None) and u not in services
    }
    assert renamed == SIG_RENAMED
    withdrawn = [u for u, name in named.items() if name is None]
    assert len(agreed) > 600 and len(withdrawn) < 20


@pytest.mark.tshark
def test_every_gatt_uuid_tshark_names_has_a_name() -> None:
    """Services, descriptors and characteristics (0x18xx, 0x29xx, 0x2Axx-0x2Cxx) tshark
    names all have a name here too, those newer than bluetooth-numbers from the SIG's
    lists (LE Audio's Gaming Audio service, say); only OTS object types, which tshark
    lists among them but which are no attribute types, stay nameless."""
    theirs = _tshark_uuid16_names()
    gatt = [u for u in theirs if 0x1800 <= u <= 0x18FF or 0x2900 <= u <= 0x2CFF]
    assert len(gatt) > 500
    assert uuid_name("1858") == "Gaming Audio" and sig_services.get(0x1858) is None
    nameless = {u for u in gatt if uuid_name(f"{u:04x}") is None}
    assert nameless == {0x2ACA, 0x2ACB}  # OTS object types "Unspecified", "Directory Listing"


@pytest.mark.parametrize(
    ("uuid", "value", "text"),
    [
        ("2a00", b"Sensor\x00", '"Sensor"'),
        ("2a00", b"bad\x1b[31m", '"bad\\x1b[31m"'),
        ("2a01", b"\x41\x03", "Heart Rate Belt (0x0341)"),
        ("2a19", b"\x64", "100%"),
        ("2a37", b"\x01\x2c\x01", "300 bpm"),
        ("2a37", b"\x16\x48\x00\x04\x00\x02", "72 bpm, contact, RR 1000 500 ms"),
        ("2a37", b"\x0c\x50\x10\x00", "80 bpm, no contact, energy 16 kJ"),
        ("2a04", struct.pack("<HHHH", 6, 0xFFFF, 0, 400), "interval 7.5-any ms, latency 0, "
         "timeout 4000 ms"),
        ("2a05", b"\x01\x00\xff\xff", "handles 0x0001-0xffff"),
        ("2a50", b"\x02\x6b\x1d\x01\x00\x10\x01", "vendor USB 0x1d6b, product 0x0001, "
         "version 0x0110"),
        ("2902", b"\x03\x00", "0x0003: notifications, indications"),
        ("2901", b"Left sensor", '"Left sensor"'),
        ("2904", b"\x04\x00\xad\x27\x01\x00\x00", "uint8, exponent 0, percentage, namespace 1, "
         "description 0x0000"),
        ("2b29", b"\x06", "0x0006: eatt, multiple_handle_value_notifications"),
        ("2b3a", b"\x01", "0x0001: eatt"),
        ("2a6e", b"\x5a\x08", "21.38 °C"),
        ("2a07", b"\xf6", "-10 dBm"),
        ("2803", b"\x12\x0e\x00\x37\x2a", "2a37 (Heart Rate Measurement), value 0x000e, read, "
         "notify"),
    ],
)  # fmt: skip
def test_decoded_values(uuid: str, value: bytes, text: str) -> None:
    assert decoded_text(uuid, value) == text


@pytest.mark.parametrize(
    ("uuid", "value"),
    [("2a19", b""), ("2a19", b"\x65"), ("2a37", b""), ("2a37", b"\x01\x2c"),
     ("2a37", b"\x10\x48\x00"), ("2a04", b"\x00"), ("2a50", b"\x01"), ("2902", b"\x01"),
     ("2a00", b"\xff\xfe"), ("2904", b""), ("2a6e", b"\x01"), ("ffff", b"\x01"), (None, b"")],
)  # fmt: skip
def test_bad_values_decode_to_none(uuid: str | None, value: bytes) -> None:
    assert decode_value(uuid, value) is None


def test_decoded_records_are_typed() -> None:
    found = decode_value("2a04", struct.pack("<HHHH", 8, 16, 1, 300))
    assert found == ConnectionParameters(8, 16, 1, 300)


# -- real captures ---------------------------------------------------------------------------


def check_consistent(db: GattDatabase) -> None:
    services = db.services
    assert not overlapping(services), (db.device, overlapping(services))
    for service in services:
        assert 0 < service.start <= service.end, (db.device, service)
        for char in service.characteristics:
            assert service.start < char.declaration <= service.end, (db.device, char)
            assert char.value_handle == char.declaration + 1, (db.device, char)
            assert char.value_handle <= char.end <= service.end, (db.device, char)
            for descriptor in char.descriptors:
                assert char.value_handle < descriptor.handle <= char.end, (db.device, descriptor)
    for char in db.characteristics:
        assert char.value_handle == char.declaration + 1, (db.device, char)


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_files())
def test_corpus_databases_are_consistent(name: str) -> None:
    analyzer = analyse(open_capture(need_corpus(name)))
    for db in analyzer.gatt_databases.values():
        check_consistent(db)
        msgspec.json.encode(db.record())  # exports
    # no capture of the corpus notifies against a CCCD it saw disabled, nor uses a feature
    # the Supported Features it shows leave out
    assert not [
        v for v in analyzer.violations
        if v.kind in ("notification_without_cccd", "feature_not_negotiated")
    ], name  # fmt: skip


@pytest.mark.corpus
def test_corpus_learns_services_characteristics_and_features() -> None:
    phone, lock = "DC:64:40:67:72:74", "EA:76:52:B8:3B:E4"
    analyzer = analyse(open_capture(need_corpus("android_blefun_multiconn.btsnoop")))
    db = analyzer.gatt(lock)
    with_lock = [c.id for c in analyzer.connections if c.peer_address == lock]
    assert db is not None and db.connections == with_lock and len(with_lock) > 1  # merged
    assert db.service("180f") is not None and db.characteristic("2a19") is not None
    assert {s.handle for s in db.cccd_states(phone)} == {0x0011, 0x001D}
    bluez = analyse(open_capture(need_corpus("btmon_ble_gatt.btsnoop")))
    server = bluez.gatt("50:F2:D6:78:E9:3E")
    assert server is not None
    assert server.server_features is not None and server.server_features.value == b"\x01"
    assert server.client_features["90:E8:68:50:1F:C4"].value == b"\x05"
    assert server.database_hash is not None and len(server.database_hash.value) == 16


@pytest.mark.corpus
@pytest.mark.tshark
def test_corpus_uuids_agree_with_tshark() -> None:
    """Services (Read By Group Type) and 16-bit characteristics (Read By Type 0x2803) of an
    Android session as tshark decodes them are in the database."""
    path = need_corpus("android_ec521_smp.btsnoop")
    fields = ["btatt.opcode", "btatt.handle", "btatt.group_end_handle", "btatt.uuid16"]
    rows = tshark_fields(path, fields, "-Y", "btatt.opcode == 0x11 || btatt.opcode == 0x09")
    db = analyse(open_capture(path)).gatt("CE:5D:95:7B:30:53")
    assert db is not None
    services = characteristics = 0
    for opcode, handles, ends, uuids in rows:
        handle_list = [int(h, 16) for h in handles.split(",") if h]
        uuid_list = [int(u, 16) for u in uuids.split(",") if u]
        if opcode == "0x11":
            found = [u for u in uuid_list if u not in (0x2800, 0x2801)]
            if len(found) != len(handle_list):
                continue  # 128-bit service UUIDs
            for start, end, uuid in zip(handle_list, ends.split(","), found, strict=True):
                service = db.service_at(start)
                assert service is not None and service.start == start
                assert (service.end, service.uuid) == (int(end, 16), f"{uuid:04x}")
                services += 1
        elif 0x2803 in uuid_list:
            found = [u for u in uuid_list if u != 0x2803]
            pairs = list(zip(handle_list[::2], handle_list[1::2], strict=True))
            if len(found) != len(pairs):
                continue  # 128-bit characteristic UUIDs
            for (declaration, value_handle), uuid in zip(pairs, found, strict=True):
                char = db.characteristic_at(declaration)
                assert char is not None and char.declaration == declaration
                assert (char.value_handle, char.uuid) == (value_handle, f"{uuid:04x}")
                characteristics += 1
    assert services >= 8 and characteristics >= 10


# -- the two warnings, on captures written here ----------------------------------------------

ACL_HANDLE = 0x0040
PEER = "C4:11:22:33:44:55"  # random static


class Capture:
    """An HCI log (btsnoop 1002) of one LE link: the host is the central and client,
    the peer the server. Each call returns the frame number it added."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        params = struct.pack("<BBHBB6sHHHB", 0x01, 0, ACL_HANDLE, 0, 1,
                             bytes.fromhex(PEER.replace(":", ""))[::-1], 24, 0, 500, 0)  # fmt: skip
        self._add(Direction.CONTROLLER_TO_HOST, HciType.EVENT, bytes((0x3E, len(params))) + params)

    def _add(self, direction: Direction, kind: HciType, payload: bytes) -> int:
        index = len(self.frames) + 1
        ts = 1_700_000_000_000_000 + index * 7_500
        self.frames.append(Frame(index, ts, 1002, Encap.HCI, direction, payload, hci_type=kind))
        return index

    def send(self, side: str, pdu: att.AttPdu) -> int:
        data = pdu.to_bytes()
        l2cap = struct.pack("<HH", len(data), 0x0004) + data
        outgoing = side == "client"
        flags = 0x0000 if outgoing else 0x2000  # first non-flushable / first flushable
        acl = struct.pack("<HH", ACL_HANDLE | flags, len(l2cap)) + l2cap
        direction = Direction.HOST_TO_CONTROLLER if outgoing else Direction.CONTROLLER_TO_HOST
        return self._add(direction, HciType.ACL, acl)

    def exchange(self, request: att.AttPdu, response: att.AttPdu) -> tuple[int, int]:
        return self.send("client", request), self.send("server", response)

    def analyse(self, tmp_path: Path, name: str) -> Analyzer:
        path = tmp_path / f"{name}.btsnoop"
        write_capture(path, self.frames, "btsnoop", 1002)
        return analyse(open_capture(path))


def _declaration(properties: int, value_handle: int, uuid: int) -> bytes:
    return struct.pack("<BHH", properties, value_handle, uuid)


def _battery_service(capture: Capture) -> None:
    """Discovery of a Battery service: 0x0001-0x0004, Battery Level 0x0003, CCCD 0x0004."""
    capture.exchange(
        att.ReadByGroupTypeRequest(0x0001, 0xFFFF, "2800"),
        att.ReadByGroupTypeResponse(6, (att.GroupValue(0x0001, 0x0004, b"\x0f\x18"),)),
    )
    capture.exchange(
        att.ReadByTypeRequest(0x0001, 0x0004, "2803"),
        att.ReadByTypeResponse(7, (att.HandleValue(0x0002, _declaration(0x12, 3, 0x2A19)),)),
    )
    capture.exchange(
        att.FindInformationRequest(0x0004, 0x0004),
        att.FindInformationResponse(1, (att.HandleUuid(0x0004, "2902"),)),
    )


def _kinds(analyzer: Analyzer, kind: str) -> list[tuple[int, ...]]:
    return [v.frames for v in analyzer.violations if v.kind == kind]


def test_notification_without_cccd(tmp_path: Path) -> None:
    capture = Capture()
    _battery_service(capture)
    capture.send("server", att.HandleValueNotification(0x0003, b"\x50"))  # state unknown: fine
    capture.exchange(att.WriteRequest(0x0004, b"\x01\x00"), att.WriteResponse())
    capture.send("server", att.HandleValueNotification(0x0003, b"\x4f"))  # enabled
    disable = capture.send("client", att.WriteRequest(0x0004, b"\x00\x00"))
    capture.send("server", att.HandleValueNotification(0x0003, b"\x4e"))  # while the write is open
    capture.send("server", att.WriteResponse())
    late = capture.send("server", att.HandleValueNotification(0x0003, b"\x4d"))  # the violation
    capture.send("server", att.HandleValueNotification(0x0003, b"\x4c"))  # reported once
    capture.send("server", att.HandleValueNotification(0x0009, b"\x01"))  # no known CCCD
    analyzer = capture.analyse(tmp_path, "cccd")
    assert _kinds(analyzer, "notification_without_cccd") == [(disable, late)]
    found = next(v for v in analyzer.violations if v.kind == "notification_without_cccd")
    assert found.severity == "warning" and found.spec.startswith("Vol 3, Part G")
    assert "0x0003 (Battery Level)" in found.message and found.connection == "0x0040"
    db = analyzer.gatt(PEER)
    assert db is not None and db.value(0x0003).value == b"\x4c"  # type: ignore[union-attr]
    assert [(s.client, s.handle, s.value) for s in db.cccd_states()] == [("local", 4, 0)]


def test_indication_needs_the_indication_bit(tmp_path: Path) -> None:
    capture = Capture()
    _battery_service(capture)
    capture.exchange(att.ReadRequest(0x0004), att.ReadResponse(b"\x01\x00"))  # read: known
    ind = capture.send("server", att.HandleValueIndication(0x0003, b"\x4f"))
    capture.send("client", att.HandleValueConfirmation())
    analyzer = capture.analyse(tmp_path, "indication")
    # the CCCD state comes from the Read Response's frame
    assert _kinds(analyzer, "notification_without_cccd") == [(ind - 1, ind)]
    assert "Indication of handle 0x0003" in analyzer.violations[0].message


def _gatt_service(capture: Capture, client_features: bytes, server_features: bytes) -> int:
    """A GATT service with Client (0x0003) and Server (0x0005) Supported Features; the
    client writes its features and reads the server's. Returns the frame of the write."""
    capture.exchange(
        att.ReadByTypeRequest(0x0001, 0xFFFF, "2803"),
        att.ReadByTypeResponse(7, (att.HandleValue(0x0002, _declaration(0x0A, 3, 0x2B29)),
                                   att.HandleValue(0x0004, _declaration(0x02, 5, 0x2B3A)))),
    )  # fmt: skip
    write, _ = capture.exchange(att.WriteRequest(0x0003, client_features), att.WriteResponse())
    capture.exchange(att.ReadRequest(0x0005), att.ReadResponse(server_features))
    return write


def _multiple(capture: Capture) -> tuple[int, int]:
    entries = (att.HandleValue(0x0010, b"\x01"), att.HandleValue(0x0012, b"\x02"))
    first = capture.send("server", att.MultipleHandleValueNotification(entries))
    capture.send("server", att.MultipleHandleValueNotification(entries))  # reported once
    read, _ = capture.exchange(
        att.ReadMultipleVariableRequest((0x0010, 0x0012)),
        att.ReadMultipleVariableResponse(
            (att.LengthValue(1, b"\x01"), att.LengthValue(1, b"\x02"))
        ),
    )
    capture.exchange(
        att.ReadMultipleVariableRequest((0x0010, 0x0012)), att.ErrorResponse(0x20, 0x10, 0x06)
    )
    return first, read


def test_feature_not_negotiated(tmp_path: Path) -> None:
    capture = Capture()
    write = _gatt_service(capture, b"\x01", b"\x00")  # robust caching only; no EATT
    read_features = write + 3
    first, read = _multiple(capture)
    analyzer = capture.analyse(tmp_path, "features")
    assert _kinds(analyzer, "feature_not_negotiated") == [(write, first), (read_features, read)]
    messages = [v.message for v in analyzer.violations if v.kind == "feature_not_negotiated"]
    assert "Multiple Handle Value Notification" in messages[0]
    assert "Read Multiple Variable Request" in messages[1]
    db = analyzer.gatt(PEER)
    assert db is not None and db.value(0x0010).value == b"\x01"  # type: ignore[union-attr]


def test_features_negotiated_or_unknown(tmp_path: Path) -> None:
    capture = Capture()
    _gatt_service(capture, b"\x04", b"\x01")  # multiple notifications; EATT
    _multiple(capture)
    assert not capture.analyse(tmp_path, "negotiated").violations
    unknown = Capture()  # features never seen: nothing to say
    _multiple(unknown)
    assert not unknown.analyse(tmp_path, "unknown").violations


def test_service_changed_and_database_hash_invalidate(tmp_path: Path) -> None:
    capture = Capture()
    _battery_service(capture)
    capture.exchange(
        att.ReadByGroupTypeRequest(0x0005, 0xFFFF, "2800"),
        att.ReadByGroupTypeResponse(6, (att.GroupValue(0x0005, 0x000A, b"\x01\x18"),)),
    )
    capture.exchange(
        att.ReadByTypeRequest(0x0005, 0x000A, "2803"),
        att.ReadByTypeResponse(7, (att.HandleValue(0x0006, _declaration(0x20, 7, 0x2A05)),
                                   att.HandleValue(0x0009, _declaration(0x02, 10, 0x2B2A)))),
    )  # fmt: skip
    capture.exchange(att.WriteRequest(0x0004, b"\x01\x00"), att.WriteResponse())
    capture.exchange(att.ReadRequest(0x0003), att.ReadResponse(b"\x40"))
    first_hash = bytes(range(16))
    capture.exchange(att.ReadByTypeRequest(1, 0xFFFF, "2b2a"),
                     att.ReadByTypeResponse(18, (att.HandleValue(0x000A, first_hash),)))  # fmt: skip
    changed = capture.send("server", att.HandleValueIndication(0x0007, b"\x01\x00\x04\x00"))
    capture.send("client", att.HandleValueConfirmation())
    analyzer = capture.analyse(tmp_path, "changed")
    db = analyzer.gatt(PEER)
    assert db is not None
    assert [s.uuid for s in db.services] == ["1801"]  # the battery service went
    assert db.value(0x0003) is None and db.cccd_states() == [] and db.characteristic("2a19") is None
    assert [(i.start, i.end, i.frame) for i in db.invalidations] == [(1, 4, changed)]
    assert db.database_hash is not None and db.database_hash.value == first_hash
    indication = next(t for t in analyzer.transactions() if t.kind == "indication")
    assert indication.decoded == "handles 0x0001-0x0004"
    assert indication.characteristic_name == "Service Changed"

    capture.exchange(att.ReadByTypeRequest(1, 0xFFFF, "2b2a"),
                     att.ReadByTypeResponse(18, (att.HandleValue(0x000A, bytes(16)),)))  # fmt: skip
    again = capture.analyse(tmp_path, "rehashed").gatt(PEER)
    assert again is not None and again.services == [] and again.characteristics == []
    assert [i.reason for i in again.invalidations][-1] == "Database Hash changed"
    assert again.database_hash is not None and again.database_hash.value == bytes(16)


def test_includes_secondary_services_and_discovery_by_uuid(tmp_path: Path) -> None:
    capture = Capture()
    nus = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
    capture.exchange(  # Discover Primary Service by Service UUID (4.4.2)
        att.FindByTypeValueRequest(0x0001, 0xFFFF, 0x2800, b"\x0d\x18"),
        att.FindByTypeValueResponse((att.HandleRange(0x0010, 0x0018),)),
    )
    capture.exchange(  # Find Included Services (4.5.1): one 16-bit, one 128-bit
        att.ReadByTypeRequest(0x0010, 0x0018, "2802"),
        att.ReadByTypeResponse(8, (att.HandleValue(0x0011, b"\x20\x00\x22\x00\x0f\x18"),)),
    )
    capture.exchange(
        att.ReadByTypeRequest(0x0012, 0x0018, "2802"),
        att.ReadByTypeResponse(6, (att.HandleValue(0x0012, b"\x30\x00\x31\x00"),)),
    )
    capture.exchange(
        att.ReadRequest(0x0030), att.ReadResponse(bytes.fromhex(nus.replace("-", ""))[::-1])
    )
    capture.exchange(
        att.ReadByGroupTypeRequest(0x0001, 0xFFFF, "2801"),
        att.ReadByGroupTypeResponse(6, (att.GroupValue(0x0020, 0x0022, b"\x0f\x18"),)),
    )
    db = capture.analyse(tmp_path, "includes").gatt(PEER)
    assert db is not None
    found = [(s.start, s.end, s.uuid, s.primary) for s in db.services]
    assert found == [
        (0x10, 0x18, "180d", True),
        (0x20, 0x22, "180f", False),
        (0x30, 0x31, nus, None),
    ]
    hrs = db.services[0]
    assert [(i.handle, i.start, i.end, i.uuid) for i in hrs.includes] == [
        (0x11, 0x20, 0x22, "180f"),
        (0x12, 0x30, 0x31, None),
    ]
    assert db.services[2].name == "Nordic UART Service"
    assert msgspec.json.decode(msgspec.json.encode(db.record()))["device"] == PEER


# -- hostile values ------------------------------------------------------------------------------

_handles = st.one_of(st.integers(0, 40), st.sampled_from([0xFFFE, 0xFFFF]))  # they meet
_values = st.binary(max_size=24)
_uuid16 = st.sampled_from([0x2800, 0x2801, 0x2802, 0x2803, 0x2902, 0x2A05, 0x2B29, 0x2B2A,
                           0x2B3A, 0x2A37, 0x2A19, 0x1111])  # fmt: skip
Step = list[tuple[str, att.AttPdu]]


def _exchange(request: att.AttPdu, response: att.AttPdu) -> Step:
    return [("client", request), ("server", response)]


def _group(handle: int, end: int, value: bytes) -> Step:
    entry = att.GroupValue(handle, end, value)
    return _exchange(
        att.ReadByGroupTypeRequest(1, 0xFFFF, "2800"),
        att.ReadByGroupTypeResponse(4 + len(value), (entry,)),
    )


def _by_type(kind: str, handle: int, value: bytes) -> Step:
    entry = att.HandleValue(handle, value)
    return _exchange(
        att.ReadByTypeRequest(1, 0xFFFF, kind), att.ReadByTypeResponse(2 + len(value), (entry,))
    )


def _types(handle: int, uuid: int) -> Step:
    entry = att.HandleUuid(handle, f"{uuid:04x}")
    return _exchange(
        att.FindInformationRequest(1, 0xFFFF), att.FindInformationResponse(1, (entry,))
    )


def _indication(handle: int, value: bytes) -> Step:
    return [("server", att.HandleValueIndication(handle, value)),
            ("client", att.HandleValueConfirmation())]  # fmt: skip


def _multiple_ntf(handle: int, value: bytes) -> Step:
    entries = (att.HandleValue(handle, value), att.HandleValue(handle ^ 1, b"\x01"))
    return [("server", att.MultipleHandleValueNotification(entries))]


_steps = st.one_of(
    st.builds(_group, _handles, _handles, st.sampled_from([b"\x0d\x18", bytes(16)])),
    st.builds(
        lambda h, p, v, u: _by_type("2803", h, _declaration(p, v, u)),
        _handles,
        st.integers(0, 255),
        _handles,
        _uuid16,
    ),
    st.builds(_types, _handles, _uuid16),
    st.builds(lambda h, v: _by_type("2802", h, v), _handles, st.binary(min_size=1, max_size=8)),
    st.builds(lambda h, v: _by_type("2b2a", h, v), _handles, st.binary(min_size=1, max_size=17)),
    st.builds(lambda h, v: _exchange(att.ReadRequest(h), att.ReadResponse(v)), _handles, _values),
    st.builds(
        lambda h, v: _exchange(att.WriteRequest(h, v), att.WriteResponse()), _handles, _values
    ),
    st.builds(lambda h, v: [("server", att.HandleValueNotification(h, v))], _handles, _values),
    st.builds(_indication, _handles, _values),
    st.builds(_multiple_ntf, _handles, _values),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_steps, max_size=40))
def test_any_gatt_traffic_gives_a_sound_database(steps: list[Step]) -> None:
    """Whatever handles, types and values a server reports, the analysis goes on, services
    never overlap and the database exports."""
    capture = Capture()
    for step in steps:
        for side, pdu in step:
            capture.send(side, pdu)
    analyzer = analyse(capture.frames)
    for db in analyzer.gatt_databases.values():
        assert not overlapping(db.services)
        msgspec.json.encode(db.record())
        for value in db.values:
            db.decode(value.handle)
    for txn in analyzer.transactions():
        msgspec.json.encode(txn)
