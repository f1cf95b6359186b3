"""Filling the GATT database of each server device from ATT traffic (Core 5.4 Vol 3 Part G).

`GattDatabases` gets every ATT PDU (`observe_pdu`, from the analyzer's hot path: a
notification costs a few dict lookups) and every completed transaction
(`observe_transaction`). Discovery answers (Read By Group Type, Find By Type Value, Read By
Type for includes and characteristics, Find Information; 4.4-4.7) give the structure; reads,
writes, notifications and indications give values, CCCD states (4.12, 3.3.3.3) and the
Client/Server Supported Features (7.2, 7.4). A database is keyed by its server's address,
so one device's connections share it: on an HCI log the peer's address or, for the host's
own server, its public address (`"local"` until Read BD_ADDR tells it); on an air capture
the central's or peripheral's address; else "<connection id>/<side>".

Two warnings come from here: `notification_without_cccd` (a notification or indication
the client's CCCD, known from a write or read seen, disables; once per CCCD value) and
`feature_not_negotiated` (Multiple Handle Value Notification or Read Multiple Variable
while the features seen do not allow it; once per features value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attscope.dissector.analysis.analysis_records import (
    LOCAL,
    OTHER_SIDE,
    Side,
    Transaction,
    Violation,
    violation,
)
from attscope.dissector.analysis.connections import LiveConnection
from attscope.dissector.analysis.flow_rules import ViolationKind as Kind
from attscope.dissector.analysis.gatt_db import (
    CCCD,
    CHARACTERISTIC,
    CLIENT_FEATURES,
    DATABASE_HASH,
    INCLUDE,
    MAX_CLIENT_STATES,
    PRIMARY,
    SECONDARY,
    SERVER_FEATURES,
    GattDatabase,
)
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.gatt_values import decoded_text
from attscope.dissector.decoding.pdu import uuid_text
from attscope.dissector.decoding.uuid_names import normalize_names, normalize_uuid

MAX_DATABASES = 4096
MAX_ROUTES = 200_000  # (connection, server side) pairs remembered

Op = att.AttOpcode
# plain ints: the hot path compares them with every PDU's opcode
_NTF, _IND = int(Op.HANDLE_VALUE_NTF), int(Op.HANDLE_VALUE_IND)
_MULTIPLE_NTF = int(Op.MULTIPLE_HANDLE_VALUE_NTF)
_WRITE_REQ, _WRITE_CMD = int(Op.WRITE_REQ), int(Op.WRITE_CMD)
_SIGNED_WRITE_CMD = int(Op.SIGNED_WRITE_CMD)
_READ_MULTIPLE_VARIABLE_REQ = int(Op.READ_MULTIPLE_VARIABLE_REQ)
# PDUs a server sends (the rest come from the client), and those this module looks into
_FROM_SERVER = att.FROM_SERVER
_OBSERVED = frozenset({_NTF, _IND, _MULTIPLE_NTF, _WRITE_REQ, _WRITE_CMD, _SIGNED_WRITE_CMD,
                       _READ_MULTIPLE_VARIABLE_REQ})  # fmt: skip
_MULTIPLE_NOTIFICATIONS = 0x04  # Client Supported Features bit 2 (7.2)
_EATT = 0x01  # Server Supported Features bit 0 (7.4): EATT, hence Read Multiple Variable
_ROUTE = tuple[GattDatabase, str]  # the server's database, the client's key


def _key(
    conn: LiveConnection, side: Side, resolve: Callable[[str], str | None] | None = None
) -> tuple[str, str | None]:
    """The key and address of one end of a connection: a resolvable private address
    resolved to its identity address merges the device's databases across addresses."""
    address = conn.address_of(side)
    if address:
        identity = resolve(address) if resolve is not None else None
        if identity is not None and not identity.startswith("IRK "):
            return identity, identity
        return address, address
    if side == LOCAL:
        return "local", None
    return f"{conn.id}/{side}", None


class GattDatabases:
    """The database of every server device in a capture, and the two warnings."""

    def __init__(
        self,
        on_violation: Callable[[Violation], None] | None = None,
        uuid_names: dict[str, str] | None = None,
        resolve: Callable[[str], str | None] | None = None,
    ) -> None:
        self.names = normalize_names(uuid_names)
        self._resolve = resolve  # a private address -> its device's identity address
        self.all: dict[str, GattDatabase] = {}
        self._routes: dict[tuple[str, str], _ROUTE] = {}
        self._violation = on_violation

    def get(self, device: str) -> GattDatabase | None:
        """A database by key; an address in any letter case."""
        return self.all.get(device) or self.all.get(device.upper())

    def resolve_all(self) -> None:
        """A database kept under a resolvable private address before the device's IRK
        was known (most devices distribute it only after pairing, past the discovery)
        moves to the identity address, when that has no database of its own. Its routes
        hold the same object, so later PDUs reach it."""
        resolve = self._resolve
        if resolve is None:
            return
        for key in list(self.all):
            identity = resolve(key)
            if identity is None or identity.startswith("IRK ") or identity in self.all:
                continue
            db = self.all.pop(key)
            db.device = db.address = identity
            self.all[identity] = db

    def for_connection(self, connection: str, server_side: str) -> GattDatabase | None:
        """The database of the server at `server_side` of a connection (its id)."""
        route = self._routes.get((connection, server_side))
        return None if route is None else route[0]

    def _route(self, conn: LiveConnection, server: Side) -> _ROUTE | None:
        route = self._routes.get((conn.id, server))
        if route is not None:
            return route
        device, address = _key(conn, server, self._resolve)
        db = self.all.get(device)
        if db is None:
            if len(self.all) >= MAX_DATABASES:
                return None
            db = self.all[device] = GattDatabase(device, address, self.names)
        db.add_connection(conn.id)
        if len(self._routes) >= MAX_ROUTES:
            self._routes.clear()
        client = _key(conn, OTHER_SIDE[server], self._resolve)[0]
        route = self._routes[(conn.id, server)] = (db, client)
        return route

    # -- PDUs -------------------------------------------------------------------------------

    def observe_pdu(
        self, conn: LiveConnection, side: Side, pdu: Any, frame: int, ts_us: int, bearer: int
    ) -> None:
        """An ATT PDU `side` sent on `conn`, before the transaction tracker sees it."""
        opcode = pdu.opcode
        server = side if opcode in _FROM_SERVER else OTHER_SIDE[side]
        route = self._routes.get((conn.id, server)) or self._route(conn, server)
        if route is None or opcode not in _OBSERVED:
            return  # the transaction, when it completes, says the rest
        db, client = route
        if opcode in (_NTF, _IND):
            self._notified(
                db, client, conn.id, pdu.handle, pdu.value, frame, ts_us, bearer, opcode == _IND
            )
        elif opcode == _MULTIPLE_NTF:
            self._check_multiple(db, client, conn.id, frame, bearer)
            for entry in pdu.entries:
                self._notified(
                    db, client, conn.id, entry.handle, entry.value, frame, ts_us, bearer, False
                )
        elif opcode == _WRITE_REQ:
            if db.attribute_type(pdu.handle) == CCCD:
                db.cccd_write_started(client, pdu.handle)
        elif opcode == _READ_MULTIPLE_VARIABLE_REQ:
            self._check_read_multiple_variable(db, client, conn.id, frame, bearer)
        else:  # Write Command, Signed Write Command
            self._value(db, client, conn.id, pdu.handle, pdu.value, frame, ts_us, "write_command")

    def _notified(
        self,
        db: GattDatabase,
        client: str,
        connection: str,
        handle: int,
        value: bytes,
        frame: int,
        ts_us: int,
        bearer: int,
        indication: bool,
    ) -> None:
        """A notification or indication: the database takes the value (and a Service
        Changed range, 7.1); a CCCD known to disable it is reported (3.3.3.3)."""
        state = db.notified(client, connection, handle, value, frame, ts_us, indication)
        if state is None:
            return
        what = "Indication" if indication else "Notification"
        name = db.name(db.attribute_type(handle))
        self._report(
            Kind.NOTIFICATION_WITHOUT_CCCD,
            f"{what} of handle 0x{handle:04x}{f' ({name})' if name else ''} while client "
            f"{client}'s CCCD 0x{state.handle:04x} is 0x{state.value or 0:04x} "
            f"(frame {state.frame}); later ones are not reported until the CCCD changes",
            connection,
            (state.frame or frame, frame),
            bearer,
        )

    def _check_multiple(
        self, db: GattDatabase, client: str, connection: str, frame: int, bearer: int
    ) -> None:
        features = db.client_features.get(client)
        if features is None or (features.value[:1] or b"\0")[0] & _MULTIPLE_NOTIFICATIONS:
            return
        if self._once(db, client, "multiple", features.frame):
            self._report(
                Kind.FEATURE_NOT_NEGOTIATED,
                f"Multiple Handle Value Notification while client {client}'s Client Supported "
                f"Features (frame {features.frame}) do not include it",
                connection,
                (features.frame, frame),
                bearer,
            )

    def _check_read_multiple_variable(
        self, db: GattDatabase, client: str, connection: str, frame: int, bearer: int
    ) -> None:
        features = db.server_features
        if features is None or (features.value[:1] or b"\0")[0] & _EATT:
            return
        if self._once(db, client, "read_multiple_variable", features.frame):
            self._report(
                Kind.FEATURE_NOT_NEGOTIATED,
                f"Read Multiple Variable Request while the server's Server Supported Features "
                f"(frame {features.frame}) do not include EATT, which brings it",
                connection,
                (features.frame, frame),
                bearer,
            )

    @staticmethod
    def _once(db: GattDatabase, client: str, what: str, frame: int) -> bool:
        key = (client, what, frame)
        if key in db.reported or len(db.reported) > 4096:
            return False
        db.reported.add(key)
        return True

    def _report(
        self,
        kind: Kind,
        message: str,
        connection: str,
        frames: tuple[int, ...],
        bearer: int,
    ) -> None:
        if self._violation is not None:
            self._violation(violation(kind, message, connection, frames, bearer))

    # -- values -------------------------------------------------------------------------------

    def _value(
        self,
        db: GattDatabase,
        client: str,
        connection: str,
        handle: int,
        value: bytes,
        frame: int,
        ts_us: int,
        source: str,
    ) -> None:
        """A value read or written: stored, and what it means when its type is special."""
        stored = db.set_value(handle, value, frame, ts_us, connection, source)
        if stored is None:
            return
        kind = db.attribute_type(handle)
        if kind is None:
            if db.service_starting_at(handle) is None:
                return
            kind = PRIMARY  # a service known only from an include: its UUID read (4.5.1)
        if kind == CCCD:
            bits = int.from_bytes(value[:2], "little") if len(value) == 2 else None
            db.set_cccd(client, handle, bits, frame, connection)
        elif kind in (PRIMARY, SECONDARY) and len(value) in (2, 16):
            db.set_service_uuid(handle, normalize_uuid(uuid_text(value)))
        elif kind == CHARACTERISTIC:
            _characteristic(db, handle, value, frame)
        elif kind == CLIENT_FEATURES:
            if client in db.client_features or len(db.client_features) < MAX_CLIENT_STATES:
                db.client_features[client] = stored
        elif kind == SERVER_FEATURES:
            db.server_features = stored
        elif kind == DATABASE_HASH:
            previous = db.database_hash
            if previous is not None and previous.value != stored.value:
                db.invalidate(1, 0xFFFF, frame, "Database Hash changed")
                db.add_type(handle, DATABASE_HASH)
                stored = db.set_value(handle, value, frame, ts_us, connection, source)
            db.database_hash = stored

    # -- transactions ---------------------------------------------------------------------------

    def observe_transaction(self, txn: Transaction) -> dict[str, str | None]:
        """A completed transaction: learn from it; what the database knows of its handle
        (service, characteristic and descriptor, and the value decoded), as the
        `Transaction` fields to fill, empty when it knows nothing."""
        route = self._routes.get((txn.connection, txn.server))
        if route is None:
            return {}
        db, client = route
        if txn.kind == "write" and db.attribute_type(txn.handle or 0) == CCCD:
            db.cccd_write_ended(client, txn.handle or 0)
        if txn.outcome == "ok":
            learn = _LEARN.get(txn.kind)
            if learn is not None:
                learn(self, db, client, txn)
        if txn.handle is None:
            return {}
        return _names(db, txn.handle, txn.value)

    def _read(self, db: GattDatabase, client: str, txn: Transaction) -> None:
        if txn.handle is None or txn.value is None:
            return
        if txn.kind == "read_blob" and getattr(txn.request, "offset", 0) != 0:
            return  # a part of the value only
        frame = txn.exchanges[0].response_frame if txn.exchanges else txn.response_frame
        self._value(db, client, txn.connection, txn.handle, txn.value, frame or 0,
                    txn.end_us or txn.start_us, "read")  # fmt: skip

    def _write(self, db: GattDatabase, client: str, txn: Transaction) -> None:
        if txn.outcome != "ok":
            return
        if txn.kind == "queued_write":
            for handle, value in (txn.values or {}).items():
                self._value(db, client, txn.connection, handle, value, txn.request_frame,
                            txn.start_us, "queued_write")  # fmt: skip
        elif txn.handle is not None and txn.value is not None:
            self._value(db, client, txn.connection, txn.handle, txn.value, txn.request_frame,
                        txn.start_us, "write")  # fmt: skip

    def _read_multiple_variable(self, db: GattDatabase, client: str, txn: Transaction) -> None:
        response = txn.response
        if not isinstance(response, att.ReadMultipleVariableResponse):
            return
        request = txn.request
        if not isinstance(request, att.ReadMultipleVariableRequest):
            return
        for handle, entry in zip(request.handles, response.entries, strict=False):
            if not entry.truncated:
                self._value(db, client, txn.connection, handle, entry.value,
                            txn.response_frame or 0, txn.end_us or 0, "read")  # fmt: skip

    def _read_by_type(self, db: GattDatabase, client: str, txn: Transaction) -> None:
        """Includes (4.5.1), characteristics (4.6.1), or values by type (4.8.2)."""
        request, response = txn.request, txn.response
        if not isinstance(response, att.ReadByTypeResponse):
            return
        if not isinstance(request, att.ReadByTypeRequest):
            return
        kind = normalize_uuid(request.attribute_type)
        frame = txn.response_frame or 0
        for entry in response.entries:
            if kind == INCLUDE:
                value = entry.value
                if len(value) in (4, 6):
                    uuid = normalize_uuid(uuid_text(value[4:])) if len(value) == 6 else None
                    start, end = (int.from_bytes(value[i : i + 2], "little") for i in (0, 2))
                    db.add_include(entry.handle, start, end, uuid, frame)
            elif kind == CHARACTERISTIC:
                _characteristic(db, entry.handle, entry.value, frame)
            else:
                db.add_type(entry.handle, kind)
                self._value(db, client, txn.connection, entry.handle, entry.value, frame,
                            txn.end_us or 0, "read")  # fmt: skip


def _characteristic(db: GattDatabase, declaration: int, value: bytes, frame: int) -> None:
    """A characteristic declaration's value: properties, value handle, UUID (3.3.1)."""
    if len(value) in (5, 19):
        uuid = normalize_uuid(uuid_text(value[3:]))
        db.add_characteristic(declaration, value[0], int.from_bytes(value[1:3], "little"),
                              uuid, frame)  # fmt: skip


def _read_by_group_type(
    dbs: GattDatabases, db: GattDatabase, client: str, txn: Transaction
) -> None:
    """Primary (or secondary) services and their ranges (4.4.1)."""
    request, response = txn.request, txn.response
    if not isinstance(request, att.ReadByGroupTypeRequest):
        return
    kind = normalize_uuid(request.group_type)
    if kind not in (PRIMARY, SECONDARY) or not isinstance(response, att.ReadByGroupTypeResponse):
        return
    for entry in response.entries:
        if len(entry.value) in (2, 16):
            uuid = normalize_uuid(uuid_text(entry.value))
            db.add_service(entry.handle, entry.end_group_handle, uuid, kind == PRIMARY,
                           txn.response_frame or 0)  # fmt: skip


def _find_by_type_value(
    dbs: GattDatabases, db: GattDatabase, client: str, txn: Transaction
) -> None:
    """Primary services by UUID (4.4.2): the request says the UUID, the answer the ranges."""
    request, response = txn.request, txn.response
    if not isinstance(request, att.FindByTypeValueRequest):
        return
    kind = f"{request.attribute_type:04x}"
    if kind not in (PRIMARY, SECONDARY) or len(request.value) not in (2, 16):
        return
    if not isinstance(response, att.FindByTypeValueResponse):
        return
    uuid = normalize_uuid(uuid_text(request.value))
    for entry in response.entries:
        db.add_service(entry.handle, entry.end_group_handle, uuid, kind == PRIMARY,
                       txn.response_frame or 0)  # fmt: skip


def _find_information(dbs: GattDatabases, db: GattDatabase, client: str, txn: Transaction) -> None:
    """Attribute types, descriptors among them (4.7.1)."""
    response = txn.response
    if isinstance(response, att.FindInformationResponse):
        for entry in response.entries:
            db.add_type(entry.handle, normalize_uuid(entry.uuid))


_LEARN: dict[str, Callable[[GattDatabases, GattDatabase, str, Transaction], None]] = {
    "read_by_group_type": _read_by_group_type,
    "find_by_type_value": _find_by_type_value,
    "find_information": _find_information,
    "read_by_type": GattDatabases._read_by_type,
    "read": GattDatabases._read,
    "long_read": GattDatabases._read,
    "read_blob": GattDatabases._read,
    "read_multiple_variable": GattDatabases._read_multiple_variable,
    "write": GattDatabases._write,
    "queued_write": GattDatabases._write,
}


def _names(db: GattDatabase, handle: int, value: bytes | None) -> dict[str, str | None]:
    """Service, characteristic and descriptor of a handle, and `value` decoded, as far as
    the database knows them now."""
    names: dict[str, str | None] = {}
    service = db.service_at(handle)
    if service is not None:
        names["service_uuid"], names["service_name"] = service.uuid, service.name
    char = db.characteristic_at(handle)
    kind = db.attribute_type(handle)
    if char is not None:
        names["characteristic_uuid"], names["characteristic_name"] = char.uuid, char.name
        if kind is not None and handle not in (char.declaration, char.value_handle):
            names["descriptor_uuid"], names["descriptor_name"] = kind, db.name(kind)
    if value is not None:
        names["decoded"] = decoded_text(kind, value)
    return names
