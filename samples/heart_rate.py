"""Scenario: an Android phone connects to a BLE chest-strap heart-rate sensor.

The phone (a Bluetooth 4.2 Broadcom controller whose LE ACL buffers hold 27 octets) turns
Bluetooth on, scans, connects to the sensor (random static address), exchanges the MTU
(517 asked, 247 granted), discovers the whole GATT database as Android does, reads the
device information, subscribes to heart-rate and battery notifications, receives 30
measurements at 1 Hz, resets the energy expended through the Heart Rate Control Point,
renames the sensor, unsubscribes and disconnects. The sensor sends LL data PDUs of at most
27 octets, so its longer ATT PDUs reach the host in several ACL fragments; the phone's host
fragments to its controller's 27-octet buffers.
"""

from __future__ import annotations

import struct

import android_client as client
import hci_pdus as hci
from gatt_server import INDICATE, NOTIFY, READ, WRITE, Characteristic, GattServer, Service
from scenario import SLOT_US, Connection, Timeline

from attscope.capture import Frame

START = "2026-03-14T09:26:53Z"
SEED = 0x180D

PHONE = "3C:28:6D:A1:47:0E"  # public address (Read BD_ADDR)
PHONE_RPA = "4A:9E:31:07:C2:5B"  # resolvable private address used to scan and connect
SENSOR = "F3:7A:2C:91:5D:C8"  # random static address (two top bits 0b11)
THERMOMETER = "D1:0B:E4:6A:93:2F"  # a BTHome thermometer in the room (random static)
HANDLE = 0x0040

NAME = b"Northwind HR2 5DC8"
NEW_NAME = b"Lena's HR2 (Tuesday club)"
ADV_DATA = (
    hci.ad_structure(0x01, b"\x06")  # Flags: LE General Discoverable, BR/EDR not supported
    + hci.ad_structure(0x03, struct.pack("<HH", 0x180D, 0x180F))  # complete 16-bit UUIDs
    + hci.ad_structure(0x19, struct.pack("<H", 0x0341))  # Appearance: Heart Rate Belt
    + hci.ad_structure(0x0A, b"\x00")  # TX power level 0 dBm
)
SCAN_RSP_DATA = hci.ad_structure(0x09, NAME)  # Complete Local Name
THERMOMETER_DATA = (
    hci.ad_structure(0x01, b"\x06")
    # Service Data, UUID 0xFCD2 (BTHome v2): device info, battery 91 %, 21.37 degC, 48.2 %
    + hci.ad_structure(0x16, bytes.fromhex("d2fc 40 015b 025908 03d412"))
    + hci.ad_structure(0x09, b"ATC_6A932F")
)


class HeartRateSensor:
    """The sensor's measurements: a heart beating from rest into a warm-up, RR-intervals
    of the beats since the previous measurement, cumulative energy expended."""

    def __init__(self, tl: Timeline) -> None:
        self.rng = tl.rng
        self.energy_kj = 142.0
        self.start_at(0)

    def start_at(self, t: int) -> None:
        """Measure from time t on, the last beat just before it."""
        self.start = self.last_t = t
        self.last_beat = t - 790_000
        self.next_beat = t + 40_000
        self.recent: list[int] = [810_000, 800_000, 790_000]

    def _target_bpm(self, t: int) -> float:
        seconds = (t - self.start) / 1e6
        if seconds < 6:
            return 73.0
        return min(104.0, 73.0 + (seconds - 6) * 1.6)

    def control_point(self, value: bytes) -> int | None:
        """Heart Rate Control Point: 0x01 resets Energy Expended; anything else is refused
        with 0x80 Control Point Not Supported (Heart Rate Service 1.0, 3.3)."""
        if value != b"\x01":
            return 0x80
        self.energy_kj = 0.0
        return None

    def measurement(self, t: int, with_energy: bool) -> bytes:
        """Heart Rate Measurement value (Heart Rate Service 1.0, 3.1; GATT Specification
        Supplement): flags (bit 0 UINT8 format, bits 1-2 sensor contact supported and
        detected, bit 3 energy expended present, bit 4 RR-intervals present), heart rate,
        [energy expended, kJ], [RR-intervals, 1/1024 s]."""
        rrs: list[int] = []
        while self.next_beat <= t:
            rr = self.next_beat - self.last_beat
            rrs.append(round(rr * 1024 / 1e6))
            self.recent = [*self.recent[-3:], rr]
            self.last_beat = self.next_beat
            period = 60e6 / self._target_bpm(self.next_beat)
            self.next_beat += round(period * (1 + self.rng.gauss(0, 0.02)))
        bpm = round(60e6 / (sum(self.recent) / len(self.recent)))
        self.energy_kj += (t - self.last_t) / 1e6 * (0.11 + 0.004 * (bpm - 60))
        self.last_t = t
        flags = 0x06 | (0x08 if with_energy else 0) | (0x10 if rrs else 0)
        value = bytes((flags, bpm))
        if with_energy:
            value += struct.pack("<H", int(self.energy_kj))
        return value + b"".join(struct.pack("<H", rr) for rr in rrs)


def gatt_database(sensor: HeartRateSensor) -> GattServer:
    """Handles 0x0001-0x0020: GAP, GATT, Heart Rate, Battery, Device Information."""
    return GattServer(
        [
            Service(
                0x1800,
                [
                    Characteristic(0x2A00, READ | WRITE, NAME),  # Device Name
                    Characteristic(0x2A01, READ, struct.pack("<H", 0x0341)),  # Appearance
                    # Peripheral Preferred Connection Parameters: 40-50 ms, latency 0, 4 s
                    Characteristic(0x2A04, READ, struct.pack("<HHHH", 32, 40, 0, 400)),
                ],
            ),
            Service(0x1801, [Characteristic(0x2A05, INDICATE, struct.pack("<HH", 1, 0xFFFF))]),
            Service(
                0x180D,
                [
                    Characteristic(0x2A37, NOTIFY),  # Heart Rate Measurement
                    Characteristic(0x2A38, READ, b"\x01"),  # Body Sensor Location: chest
                    Characteristic(0x2A39, WRITE, on_write=sensor.control_point),
                ],
            ),
            Service(0x180F, [Characteristic(0x2A19, READ | NOTIFY, b"\x57")]),  # 87 %
            Service(
                0x180A,
                [
                    Characteristic(0x2A29, READ, b"Northwind Fitness Labs"),
                    Characteristic(0x2A24, READ, b"NW-HR2-B"),
                    Characteristic(0x2A26, READ, b"2.4.1 (build 1187)"),
                    # PnP ID: vendor ID source SIG, vendor 0x0059, product 0x5048, version 1.2
                    Characteristic(0x2A50, READ, struct.pack("<BHHH", 1, 0x0059, 0x5048, 0x0102)),
                ],
            ),
        ],
        rx_mtu=247,
    )


def controller_setup(tl: Timeline) -> None:
    """Bluetooth turned on: reset and read the controller, LE buffers of 27 octets."""
    tl.command(hci.command(hci.RESET))
    tl.wait(2_000, 4_000)
    version = struct.pack("<BBHBHH", 0, 0x08, 0x0102, 0x08, 0x000F, 0x6109)
    tl.command(hci.command(hci.READ_LOCAL_VERSION), version)
    tl.command(hci.command(hci.READ_BD_ADDR), b"\x00" + hci.bd_addr(PHONE))
    tl.command(hci.command(hci.READ_BUFFER_SIZE), struct.pack("<BHBHH", 0, 1021, 64, 8, 1))
    tl.command(hci.command(hci.WRITE_LE_HOST_SUPPORT, b"\x01\x00"))
    tl.command(hci.command(hci.LE_READ_BUFFER_SIZE), struct.pack("<BHB", 0, 27, 8))
    tl.command(hci.command(hci.LE_READ_LOCAL_FEATURES), struct.pack("<BQ", 0, 0xFF))
    tl.command(hci.command(hci.SET_EVENT_MASK, bytes.fromhex("fffffbff07f8bf3d")))
    tl.command(hci.command(hci.LE_SET_EVENT_MASK, bytes.fromhex("7f02000000000000")))
    tl.command(hci.command(hci.LE_WRITE_SUGGESTED_DATA_LENGTH, struct.pack("<HH", 251, 2120)))


def scan_and_connect(tl: Timeline) -> int:
    """Scan (active, own RPA) until the sensor shows up, stop, connect; returns the time of
    LE Enhanced Connection Complete."""
    tl.command(hci.command(hci.LE_SET_RANDOM_ADDRESS, hci.bd_addr(PHONE_RPA)))
    tl.command(hci.le_set_scan_parameters(True, 0x1F40, 0x1F40, hci.RANDOM))
    tl.command(hci.le_set_scan_enable(True, False))
    t = tl.now
    for i in range(4):
        t += tl.us(95_000, 110_000)
        tl.event(
            hci.le_advertising_report(hci.ADV_IND, hci.RANDOM, SENSOR, ADV_DATA, -61 - i % 3), t
        )
        t += tl.us(350, 500)
        tl.event(hci.le_advertising_report(hci.SCAN_RSP, hci.RANDOM, SENSOR, SCAN_RSP_DATA, -62), t)
        if i % 2:
            t += tl.us(20_000, 40_000)
            tl.event(
                hci.le_advertising_report(
                    hci.ADV_NONCONN_IND, hci.RANDOM, THERMOMETER, THERMOMETER_DATA, -84 + i
                ),
                t,
            )
    tl.now = t + tl.us(15_000, 30_000)
    tl.command(hci.le_set_scan_enable(False, False))
    tl.wait(8_000, 14_000)
    tl.command(
        hci.le_create_connection(hci.RANDOM, SENSOR, hci.RANDOM, 24, 40, 0, 500), status=True
    )
    connected = tl.event(
        hci.le_enhanced_connection_complete(HANDLE, 0, hci.RANDOM, SENSOR, 24, 0, 500),
        tl.now + tl.us(60_000, 110_000),
    )
    tl.now = connected + tl.us(400, 900)
    return connected


def link_setup(tl: Timeline, conn: Connection) -> None:
    """Remote features and version, and the data length the controllers agreed."""
    tl.command(hci.command(hci.LE_READ_REMOTE_FEATURES, struct.pack("<H", HANDLE)), status=True)
    tl.event(hci.le_data_length_change(HANDLE, 251, 2120, 27, 328), conn.events_after(tl.now, 1))
    features = tl.event(
        hci.le_read_remote_features_complete(HANDLE, 0x3D),
        conn.events_after(tl.now, 3) + tl.us(500, 900),
    )
    tl.now = features + tl.us(200, 400)
    tl.command(hci.command(hci.READ_REMOTE_VERSION, struct.pack("<H", HANDLE)), status=True)
    version = tl.event(
        hci.read_remote_version_complete(HANDLE, 0x09, 0x0059, 0x00AF),
        conn.events_after(tl.now, 2) + tl.us(500, 900),
    )
    tl.now = version + tl.us(3_000, 9_000)


def heart_rate() -> list[Frame]:
    """The whole session as the phone's HCI snoop log (btsnoop, datalink 1002) records it."""
    tl = Timeline(START, SEED)
    controller_setup(tl)
    tl.wait(1_400_000, 1_900_000)  # the user opens the fitness app
    connected = scan_and_connect(tl)
    sensor = HeartRateSensor(tl)
    server = gatt_database(sensor)
    conn = Connection(tl, HANDLE, server, 24, connected + tl.us(2_000, 9_000))
    link_setup(tl, conn)

    client.exchange_mtu(conn, 517)
    services = client.discover(conn)
    client.write(conn, client.cccd(client.find(services, 0x2A05)), b"\x02\x00")
    tl.wait(4_000, 12_000)
    for uuid in (0x2A00, 0x2A38, 0x2A19, 0x2A29, 0x2A24, 0x2A26, 0x2A50):
        client.read(conn, client.find(services, uuid).value_handle)
        tl.wait(1_000, 6_000)
    hrm = client.find(services, 0x2A37)
    client.write(conn, client.cccd(hrm), b"\x01\x00")
    client.write(conn, client.cccd(client.find(services, 0x2A19)), b"\x01\x00")

    first = tl.now + tl.us(300_000, 600_000)
    sensor.start_at(first - 1_000_000)  # RR-intervals from before the subscription are dropped
    for k in range(30):
        at = first + k * 1_000_000 + tl.us(0, 3_000)
        received = conn.notify(0x2A37, sensor.measurement(at, with_energy=k % 10 == 0), at)
        tl.now = max(tl.now, received)
        if k == 3:  # the sensor's stack asks for a slower link 5 s after connecting
            conn.peer_requests_parameters(at + 150_000, 32, 40, 0, 400)
        elif k == 12:  # the user resets the energy counter
            tl.wait(200_000, 400_000)
            client.write(conn, client.find(services, 0x2A39).value_handle, b"\x01")
        elif k == 18:  # the user renames the sensor, the app reads the name back
            tl.wait(150_000, 300_000)
            client.write(conn, client.find(services, 0x2A00).value_handle, NEW_NAME)
            tl.wait(2_000, 8_000)
            client.read(conn, client.find(services, 0x2A00).value_handle)
        elif k == 24:
            conn.notify(0x2A19, b"\x56", at + 400_000)  # battery 86 %
    tl.now += tl.us(500_000, 700_000)  # the user stops the workout
    client.write(conn, client.cccd(hrm), b"\x00\x00")
    tl.wait(20_000, 60_000)
    conn.disconnect(hci.REMOTE_USER_TERMINATED)
    assert conn.interval_us == SLOT_US * 40, "the sensor's parameter request took effect"
    return tl.frames()
