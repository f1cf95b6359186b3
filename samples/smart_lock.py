"""Scenario: an Android phone and a smart lock whose firmware breaks the ATT rules.

The same phone as in heart_rate.py connects to a door lock, exchanges the MTU (517 asked,
185 granted) and discovers its GATT database. The lock's firmware then does what a
protocol analyzer exists to catch, each a violation the Core specification names:

* once the phone subscribes to the event log, it sends a second indication before the
  phone confirmed the first (Vol 3, Part F, 3.3.2);
* it dumps a 240-byte diagnostic record as one notification on a bearer whose ATT_MTU is
  185 (Vol 3, Part F, 3.2.9);
* it goes on notifying diagnostics after the phone wrote 0x0000 to their CCCD
  (Vol 3, Part G, 3.3.3.3: a warning);
* it never answers the phone's read of the battery level: 30 s later the transaction has
  timed out (Vol 3, Part F, 3.3.3), and the phone disconnects.
"""

from __future__ import annotations

import struct

import android_client as client
import att_pdus as att
import hci_pdus as hci
from gatt_server import INDICATE, NOTIFY, READ, WRITE, Characteristic, GattServer, Service
from heart_rate import controller_setup, link_setup
from scenario import Connection, Timeline

from attscope.capture import Frame

START = "2026-05-02T18:41:07Z"
SEED = 0x10C4
HANDLE = 0x0040  # the same handle as in heart_rate.py: link_setup reads it from there
LOCK = "E8:4C:12:9B:77:A0"  # random static address
ADV_DATA = (
    hci.ad_structure(0x01, b"\x06")
    + hci.ad_structure(0x07, bytes.fromhex("8a2bd3f1c04e4a9b8e6b1d2f00a1c0de")[::-1])
    + hci.ad_structure(0x09, b"Porta S3")
)


def _vendor_uuid(short: int) -> bytes:
    """The vendor's 128-bit UUIDs, derived from its base UUID the common way: a 16-bit
    number in place of the base's second group of hex digits (8a2bXXXX-c04e-...)."""
    base = bytearray(bytes.fromhex("8a2bd3f1c04e4a9b8e6b1d2f00a1c0de")[::-1])
    base[12:14] = short.to_bytes(2, "little")
    return bytes(base)


LOCK_SERVICE = _vendor_uuid(0x0001)
LOCK_STATE, EVENT_LOG, DIAGNOSTICS = (_vendor_uuid(n) for n in (0x0002, 0x0003, 0x0004))


def gatt_database() -> GattServer:
    return GattServer(
        [
            Service(0x1800, [Characteristic(0x2A00, READ, b"Porta S3")]),
            Service(0x1801, [Characteristic(0x2A05, INDICATE, struct.pack("<HH", 1, 0xFFFF))]),
            Service(
                LOCK_SERVICE,
                [
                    Characteristic(LOCK_STATE, READ | NOTIFY, b"\x01"),  # 1: locked
                    Characteristic(EVENT_LOG, INDICATE),
                    Characteristic(DIAGNOSTICS, NOTIFY | WRITE),
                ],
            ),
            Service(0x180F, [Characteristic(0x2A19, READ, b"\x2a")]),  # 42 %
        ],
        rx_mtu=185,
    )


def connect(tl: Timeline) -> int:
    """A short scan until the lock advertises, then the connection; returns the time of
    LE Enhanced Connection Complete."""
    tl.command(hci.le_set_scan_parameters(True, 0x0060, 0x0030, hci.PUBLIC))
    tl.command(hci.le_set_scan_enable(True, True))
    seen = tl.event(
        hci.le_advertising_report(hci.ADV_IND, hci.RANDOM, LOCK, ADV_DATA, -58),
        tl.now + tl.us(40_000, 90_000),
    )
    tl.now = seen + tl.us(5_000, 9_000)
    tl.command(hci.le_set_scan_enable(False, False))
    tl.wait(6_000, 10_000)
    tl.command(hci.le_create_connection(hci.PUBLIC, LOCK, hci.RANDOM, 24, 24, 0, 400), status=True)
    connected = tl.event(
        hci.le_enhanced_connection_complete(HANDLE, 0, hci.RANDOM, LOCK, 24, 0, 400),
        tl.now + tl.us(30_000, 60_000),
    )
    tl.now = connected + tl.us(400, 900)
    return connected


def indication(server: GattServer, uuid: att.Uuid, value: bytes) -> bytes:
    return bytes((att.HANDLE_VALUE_IND,)) + struct.pack("<H", server.handle_of(uuid)) + value


def smart_lock() -> list[Frame]:
    """The session as the phone's HCI snoop log records it (btsnoop, datalink 1002)."""
    tl = Timeline(START, SEED)
    controller_setup(tl)
    tl.wait(900_000, 1_300_000)  # the user opens the lock's app
    connected = connect(tl)
    server = gatt_database()
    conn = Connection(tl, HANDLE, server, 24, connected + tl.us(2_000, 6_000))
    link_setup(tl, conn)

    client.exchange_mtu(conn, 517)
    services = client.discover(conn)
    # the lock reports its state unasked, before the app subscribed
    tl.now = conn.receive(
        att.CID_ATT,
        att.handle_value_ntf(server.handle_of(LOCK_STATE), b"\x01"),
        conn.event_at(tl.now),
    )
    tl.wait(2_000, 5_000)
    client.write(conn, client.cccd(client.find(services, LOCK_STATE)), b"\x01\x00")
    client.write(conn, client.cccd(client.find(services, EVENT_LOG)), b"\x02\x00")
    client.write(conn, client.cccd(client.find(services, DIAGNOSTICS)), b"\x01\x00")
    tl.wait(200_000, 400_000)

    # the user unlocks: the lock notifies the new state and logs two events, the second
    # indicated before the phone confirmed the first
    tl.now = conn.notify(LOCK_STATE, b"\x00", tl.now)
    first = conn.receive(
        att.CID_ATT, indication(server, EVENT_LOG, b"\x01" + struct.pack("<I", 1_777_747_300)),
        conn.event_at(tl.now + 20_000),
    )  # fmt: skip
    second = conn.receive(
        att.CID_ATT, indication(server, EVENT_LOG, b"\x02" + struct.pack("<I", 1_777_747_301)),
        conn.event_at(first + 1),
    )  # fmt: skip
    tl.now = second + tl.us(300, 700)
    conn.send(att.CID_ATT, att.handle_value_cfm())
    tl.wait(1_500_000, 2_500_000)

    # a diagnostic record longer than the ATT_MTU both sides agreed on
    record = bytes(range(240))
    tl.now = conn.receive(
        att.CID_ATT,
        att.handle_value_ntf(server.handle_of(DIAGNOSTICS), record),
        conn.event_at(tl.now),
    )
    tl.wait(800_000, 1_200_000)
    # the app unsubscribes from diagnostics; the firmware keeps sending them
    diagnostics_cccd = client.cccd(client.find(services, DIAGNOSTICS))
    client.write(conn, diagnostics_cccd, b"\x00\x00")
    tl.wait(400_000, 700_000)
    tl.now = conn.receive(
        att.CID_ATT,
        att.handle_value_ntf(server.handle_of(DIAGNOSTICS), record[:40]),
        conn.event_at(tl.now),
    )
    tl.wait(800_000, 1_200_000)

    # the battery read the firmware never answers; Android gives up after 30 s
    conn.send(att.CID_ATT, att.read_req(client.find(services, 0x2A19).value_handle))
    tl.wait(30_000_000, 30_000_000)
    tl.wait(5_000, 20_000)
    conn.disconnect(hci.REMOTE_USER_TERMINATED)
    return tl.frames()
