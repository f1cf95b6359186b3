"""ATT error codes (Core 5.4 Vol 3 Part F 3.4.1.1, Table 3.4) and the common profile and
service error codes (Core Specification Supplement, Part B, 1.2), with their names.

Error codes are an open set: a code this module does not name is still a value, and
`error_name` says which range it falls in (application, common profile, reserved).
"""

from __future__ import annotations

from enum import IntEnum


class AttError(IntEnum):
    """The error codes the Core specification and its Supplement define."""

    INVALID_HANDLE = 0x01
    READ_NOT_PERMITTED = 0x02
    WRITE_NOT_PERMITTED = 0x03
    INVALID_PDU = 0x04
    INSUFFICIENT_AUTHENTICATION = 0x05
    REQUEST_NOT_SUPPORTED = 0x06
    INVALID_OFFSET = 0x07
    INSUFFICIENT_AUTHORIZATION = 0x08
    PREPARE_QUEUE_FULL = 0x09
    ATTRIBUTE_NOT_FOUND = 0x0A
    ATTRIBUTE_NOT_LONG = 0x0B
    ENCRYPTION_KEY_SIZE_TOO_SHORT = 0x0C
    INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D
    UNLIKELY_ERROR = 0x0E
    INSUFFICIENT_ENCRYPTION = 0x0F
    UNSUPPORTED_GROUP_TYPE = 0x10
    INSUFFICIENT_RESOURCES = 0x11
    DATABASE_OUT_OF_SYNC = 0x12
    VALUE_NOT_ALLOWED = 0x13
    # common profile and service error codes (Supplement Part B 1.2)
    WRITE_REQUEST_REJECTED = 0xFC
    CCCD_IMPROPERLY_CONFIGURED = 0xFD
    PROCEDURE_ALREADY_IN_PROGRESS = 0xFE
    OUT_OF_RANGE = 0xFF


ERROR_NAMES: dict[int, str] = {
    0x01: "Invalid Handle",
    0x02: "Read Not Permitted",
    0x03: "Write Not Permitted",
    0x04: "Invalid PDU",
    0x05: "Insufficient Authentication",
    0x06: "Request Not Supported",
    0x07: "Invalid Offset",
    0x08: "Insufficient Authorization",
    0x09: "Prepare Queue Full",
    0x0A: "Attribute Not Found",
    0x0B: "Attribute Not Long",
    0x0C: "Encryption Key Size Too Short",
    0x0D: "Invalid Attribute Value Length",
    0x0E: "Unlikely Error",
    0x0F: "Insufficient Encryption",
    0x10: "Unsupported Group Type",
    0x11: "Insufficient Resources",
    0x12: "Database Out Of Sync",
    0x13: "Value Not Allowed",
    0xFC: "Write Request Rejected",
    0xFD: "Client Characteristic Configuration Descriptor Improperly Configured",
    0xFE: "Procedure Already in Progress",
    0xFF: "Out of Range",
}

APPLICATION_ERRORS = range(0x80, 0xA0)  # defined by a higher layer specification
COMMON_PROFILE_ERRORS = range(0xE0, 0x100)  # Supplement Part B 1.2; 0xE0-0xFB reserved


def is_application_error(code: int) -> bool:
    return 0x80 <= code <= 0x9F


def is_reserved_error(code: int) -> bool:
    """A code no specification defines: 0x00, 0x14-0x7F, 0xA0-0xDF, 0xE0-0xFB."""
    return code not in ERROR_NAMES and not is_application_error(code)


def error_name(code: int) -> str:
    """A readable name for any error code byte, e.g. "Attribute Not Found",
    "Application Error 0x80", "Reserved 0x14"."""
    name = ERROR_NAMES.get(code)
    if name is not None:
        return name
    if is_application_error(code):
        return f"Application Error 0x{code:02x}"
    if code >= 0xE0:
        return f"Reserved Common Profile Error 0x{code:02x}"
    return f"Reserved 0x{code:02x}"


# Error Responses that end a procedure as the specification means it to end, not failures:
# Attribute Not Found once a discovery has passed the last attribute (Core 5.4 Vol 3 Part G
# 4.4.1, 4.4.2, 4.5.1, 4.6.1, 4.7.1: Read By Group Type, Find By Type Value, Read By Type,
# Find Information), Attribute Not Long for a Read Blob of a value that fit one response
# (4.8.3)
_PROCEDURE_ENDS = {
    (0x10, 0x0A), (0x06, 0x0A), (0x08, 0x0A), (0x04, 0x0A),
    (0x0C, 0x0B),
}  # fmt: skip


def ends_procedure(request_opcode: int, error_code: int) -> bool:
    """Whether this Error Response is the normal end of a discovery or long read."""
    return (request_opcode, error_code) in _PROCEDURE_ENDS
