"""Names for HCI command opcodes, event codes, LE subevent codes and error codes.

Commands and events: Core 5.4 Vol 4 Part E 7 (an opcode is OGF << 10 | OCF, Part E 5.4.1).
Error codes: Core 5.4 Vol 1 Part F 1.3. Names follow the specification with the ``HCI_``
prefix and underscores dropped ("LE Set Scan Parameters"); where the specification keeps two
versions of a command or event under one name the later one says so ("LE Read Buffer Size
v2"). A code nobody defined keeps its number in its name ("Unknown 0x2099"); vendor-specific
commands (OGF 0x3F) are named "Vendor 0xfd57". Also the small value tables the HCI records
print (address types, roles, PHYs) and the names of TI's vendor-specific ATT messages.
"""

from __future__ import annotations

VENDOR_OGF = 0x3F
OGF_NAMES = {
    0x01: "Link Control",
    0x02: "Link Policy",
    0x03: "Controller & Baseband",
    0x04: "Informational Parameters",
    0x05: "Status Parameters",
    0x06: "Testing",
    0x08: "LE Controller",
    VENDOR_OGF: "Vendor-Specific",
}

# Vol 4 Part E 7.1
_LINK_CONTROL = {
    0x001: "Inquiry",
    0x002: "Inquiry Cancel",
    0x003: "Periodic Inquiry Mode",
    0x004: "Exit Periodic Inquiry Mode",
    0x005: "Create Connection",
    0x006: "Disconnect",
    0x007: "Add SCO Connection",
    0x008: "Create Connection Cancel",
    0x009: "Accept Connection Request",
    0x00A: "Reject Connection Request",
    0x00B: "Link Key Request Reply",
    0x00C: "Link Key Request Negative Reply",
    0x00D: "PIN Code Request Reply",
    0x00E: "PIN Code Request Negative Reply",
    0x00F: "Change Connection Packet Type",
    0x011: "Authentication Requested",
    0x013: "Set Connection Encryption",
    0x015: "Change Connection Link Key",
    0x017: "Link Key Selection",
    0x019: "Remote Name Request",
    0x01A: "Remote Name Request Cancel",
    0x01B: "Read Remote Supported Features",
    0x01C: "Read Remote Extended Features",
    0x01D: "Read Remote Version Information",
    0x01F: "Read Clock Offset",
    0x020: "Read LMP Handle",
    0x028: "Setup Synchronous Connection",
    0x029: "Accept Synchronous Connection Request",
    0x02A: "Reject Synchronous Connection Request",
    0x02B: "IO Capability Request Reply",
    0x02C: "User Confirmation Request Reply",
    0x02D: "User Confirmation Request Negative Reply",
    0x02E: "User Passkey Request Reply",
    0x02F: "User Passkey Request Negative Reply",
    0x030: "Remote OOB Data Request Reply",
    0x033: "Remote OOB Data Request Negative Reply",
    0x034: "IO Capability Request Negative Reply",
    0x035: "Create Physical Link",  # 0x035-0x03C: AMP, withdrawn in Core 5.3
    0x036: "Accept Physical Link",
    0x037: "Disconnect Physical Link",
    0x038: "Create Logical Link",
    0x039: "Accept Logical Link",
    0x03A: "Disconnect Logical Link",
    0x03B: "Logical Link Cancel",
    0x03C: "Flow Spec Modify",
    0x03D: "Enhanced Setup Synchronous Connection",
    0x03E: "Enhanced Accept Synchronous Connection Request",
    0x03F: "Truncated Page",
    0x040: "Truncated Page Cancel",
    0x041: "Set Connectionless Peripheral Broadcast",
    0x042: "Set Connectionless Peripheral Broadcast Receive",
    0x043: "Start Synchronization Train",
    0x044: "Receive Synchronization Train",
    0x045: "Remote OOB Extended Data Request Reply",
}

# Vol 4 Part E 7.2
_LINK_POLICY = {
    0x001: "Hold Mode",
    0x003: "Sniff Mode",
    0x004: "Exit Sniff Mode",
    0x005: "Park State",
    0x006: "Exit Park State",
    0x007: "QoS Setup",
    0x009: "Role Discovery",
    0x00B: "Switch Role",
    0x00C: "Read Link Policy Settings",
    0x00D: "Write Link Policy Settings",
    0x00E: "Read Default Link Policy Settings",
    0x00F: "Write Default Link Policy Settings",
    0x010: "Flow Specification",
    0x011: "Sniff Subrating",
}

# Vol 4 Part E 7.3
_BASEBAND = {
    0x001: "Set Event Mask",
    0x003: "Reset",
    0x005: "Set Event Filter",
    0x008: "Flush",
    0x009: "Read PIN Type",
    0x00A: "Write PIN Type",
    0x00B: "Create New Unit Key",
    0x00D: "Read Stored Link Key",
    0x011: "Write Stored Link Key",
    0x012: "Delete Stored Link Key",
    0x013: "Write Local Name",
    0x014: "Read Local Name",
    0x015: "Read Connection Accept Timeout",
    0x016: "Write Connection Accept Timeout",
    0x017: "Read Page Timeout",
    0x018: "Write Page Timeout",
    0x019: "Read Scan Enable",
    0x01A: "Write Scan Enable",
    0x01B: "Read Page Scan Activity",
    0x01C: "Write Page Scan Activity",
    0x01D: "Read Inquiry Scan Activity",
    0x01E: "Write Inquiry Scan Activity",
    0x01F: "Read Authentication Enable",
    0x020: "Write Authentication Enable",
    0x021: "Read Encryption Mode",
    0x022: "Write Encryption Mode",
    0x023: "Read Class of Device",
    0x024: "Write Class of Device",
    0x025: "Read Voice Setting",
    0x026: "Write Voice Setting",
    0x027: "Read Automatic Flush Timeout",
    0x028: "Write Automatic Flush Timeout",
    0x029: "Read Num Broadcast Retransmissions",
    0x02A: "Write Num Broadcast Retransmissions",
    0x02B: "Read Hold Mode Activity",
    0x02C: "Write Hold Mode Activity",
    0x02D: "Read Transmit Power Level",
    0x02E: "Read Synchronous Flow Control Enable",
    0x02F: "Write Synchronous Flow Control Enable",
    0x031: "Set Controller To Host Flow Control",
    0x033: "Host Buffer Size",
    0x035: "Host Number Of Completed Packets",
    0x036: "Read Link Supervision Timeout",
    0x037: "Write Link Supervision Timeout",
    0x038: "Read Number Of Supported IAC",
    0x039: "Read Current IAC LAP",
    0x03A: "Write Current IAC LAP",
    0x03B: "Read Page Scan Period Mode",
    0x03C: "Write Page Scan Period Mode",
    0x03D: "Read Page Scan Mode",
    0x03E: "Write Page Scan Mode",
    0x03F: "Set AFH Host Channel Classification",
    0x042: "Read Inquiry Scan Type",
    0x043: "Write Inquiry Scan Type",
    0x044: "Read Inquiry Mode",
    0x045: "Write Inquiry Mode",
    0x046: "Read Page Scan Type",
    0x047: "Write Page Scan Type",
    0x048: "Read AFH Channel Assessment Mode",
    0x049: "Write AFH Channel Assessment Mode",
    0x051: "Read Extended Inquiry Response",
    0x052: "Write Extended Inquiry Response",
    0x053: "Refresh Encryption Key",
    0x055: "Read Simple Pairing Mode",
    0x056: "Write Simple Pairing Mode",
    0x057: "Read Local OOB Data",
    0x058: "Read Inquiry Response Transmit Power Level",
    0x059: "Write Inquiry Transmit Power Level",
    0x05A: "Read Default Erroneous Data Reporting",
    0x05B: "Write Default Erroneous Data Reporting",
    0x05F: "Enhanced Flush",
    0x060: "Send Keypress Notification",
    0x061: "Read Logical Link Accept Timeout",
    0x062: "Write Logical Link Accept Timeout",
    0x063: "Set Event Mask Page 2",
    0x064: "Read Location Data",
    0x065: "Write Location Data",
    0x066: "Read Flow Control Mode",
    0x067: "Write Flow Control Mode",
    0x068: "Read Enhanced Transmit Power Level",
    0x069: "Read Best Effort Flush Timeout",
    0x06A: "Write Best Effort Flush Timeout",
    0x06B: "Short Range Mode",
    0x06C: "Read LE Host Support",
    0x06D: "Write LE Host Support",
    0x06E: "Set MWS Channel Parameters",
    0x06F: "Set External Frame Configuration",
    0x070: "Set MWS Signaling",
    0x071: "Set MWS Transport Layer",
    0x072: "Set MWS Scan Frequency Table",
    0x073: "Set MWS PATTERN Configuration",
    0x074: "Set Reserved LT_ADDR",
    0x075: "Delete Reserved LT_ADDR",
    0x076: "Set Connectionless Peripheral Broadcast Data",
    0x077: "Read Synchronization Train Parameters",
    0x078: "Write Synchronization Train Parameters",
    0x079: "Read Secure Connections Host Support",
    0x07A: "Write Secure Connections Host Support",
    0x07B: "Read Authenticated Payload Timeout",
    0x07C: "Write Authenticated Payload Timeout",
    0x07D: "Read Local OOB Extended Data",
    0x07E: "Read Extended Page Timeout",
    0x07F: "Write Extended Page Timeout",
    0x080: "Read Extended Inquiry Length",
    0x081: "Write Extended Inquiry Length",
    0x082: "Set Ecosystem Base Interval",
    0x083: "Configure Data Path",
    0x084: "Set Min Encryption Key Size",
}

# Vol 4 Part E 7.4
_INFORMATIONAL = {
    0x001: "Read Local Version Information",
    0x002: "Read Local Supported Commands",
    0x003: "Read Local Supported Features",
    0x004: "Read Local Extended Features",
    0x005: "Read Buffer Size",
    0x007: "Read Country Code",
    0x009: "Read BD_ADDR",
    0x00A: "Read Data Block Size",
    0x00B: "Read Local Supported Codecs",
    0x00C: "Read Local Simple Pairing Options",
    0x00D: "Read Local Supported Codecs v2",
    0x00E: "Read Local Supported Codec Capabilities",
    0x00F: "Read Local Supported Controller Delay",
}

# Vol 4 Part E 7.5
_STATUS = {
    0x001: "Read Failed Contact Counter",
    0x002: "Reset Failed Contact Counter",
    0x003: "Read Link Quality",
    0x005: "Read RSSI",
    0x006: "Read AFH Channel Map",
    0x007: "Read Clock",
    0x008: "Read Encryption Key Size",
    0x009: "Read Local AMP Info",
    0x00A: "Read Local AMP ASSOC",
    0x00B: "Write Remote AMP ASSOC",
    0x00C: "Get MWS Transport Layer Configuration",
    0x00D: "Set Triggered Clock Capture",
}

# Vol 4 Part E 7.6
_TESTING = {
    0x001: "Read Loopback Mode",
    0x002: "Write Loopback Mode",
    0x003: "Enable Implementation Under Test Mode",
    0x004: "Write Simple Pairing Debug Mode",
    0x007: "Enable AMP Receiver Reports",
    0x008: "AMP Test End",
    0x009: "AMP Test",
    0x00A: "Write Secure Connections Test Mode",
}

# Vol 4 Part E 7.8
_LE = {
    0x001: "LE Set Event Mask",
    0x002: "LE Read Buffer Size",
    0x003: "LE Read Local Supported Features",
    0x005: "LE Set Random Address",
    0x006: "LE Set Advertising Parameters",
    0x007: "LE Read Advertising Physical Channel Tx Power",
    0x008: "LE Set Advertising Data",
    0x009: "LE Set Scan Response Data",
    0x00A: "LE Set Advertising Enable",
    0x00B: "LE Set Scan Parameters",
    0x00C: "LE Set Scan Enable",
    0x00D: "LE Create Connection",
    0x00E: "LE Create Connection Cancel",
    0x00F: "LE Read Filter Accept List Size",
    0x010: "LE Clear Filter Accept List",
    0x011: "LE Add Device To Filter Accept List",
    0x012: "LE Remove Device From Filter Accept List",
    0x013: "LE Connection Update",
    0x014: "LE Set Host Channel Classification",
    0x015: "LE Read Channel Map",
    0x016: "LE Read Remote Features",
    0x017: "LE Encrypt",
    0x018: "LE Rand",
    0x019: "LE Enable Encryption",  # "LE Start Encryption" before Core 5.3
    0x01A: "LE Long Term Key Request Reply",
    0x01B: "LE Long Term Key Request Negative Reply",
    0x01C: "LE Read Supported States",
    0x01D: "LE Receiver Test",
    0x01E: "LE Transmitter Test",
    0x01F: "LE Test End",
    0x020: "LE Remote Connection Parameter Request Reply",
    0x021: "LE Remote Connection Parameter Request Negative Reply",
    0x022: "LE Set Data Length",
    0x023: "LE Read Suggested Default Data Length",
    0x024: "LE Write Suggested Default Data Length",
    0x025: "LE Read Local P-256 Public Key",
    0x026: "LE Generate DHKey",
    0x027: "LE Add Device To Resolving List",
    0x028: "LE Remove Device From Resolving List",
    0x029: "LE Clear Resolving List",
    0x02A: "LE Read Resolving List Size",
    0x02B: "LE Read Peer Resolvable Address",
    0x02C: "LE Read Local Resolvable Address",
    0x02D: "LE Set Address Resolution Enable",
    0x02E: "LE Set Resolvable Private Address Timeout",
    0x02F: "LE Read Maximum Data Length",
    0x030: "LE Read PHY",
    0x031: "LE Set Default PHY",
    0x032: "LE Set PHY",
    0x033: "LE Receiver Test v2",
    0x034: "LE Transmitter Test v2",
    0x035: "LE Set Advertising Set Random Address",
    0x036: "LE Set Extended Advertising Parameters",
    0x037: "LE Set Extended Advertising Data",
    0x038: "LE Set Extended Scan Response Data",
    0x039: "LE Set Extended Advertising Enable",
    0x03A: "LE Read Maximum Advertising Data Length",
    0x03B: "LE Read Number of Supported Advertising Sets",
    0x03C: "LE Remove Advertising Set",
    0x03D: "LE Clear Advertising Sets",
    0x03E: "LE Set Periodic Advertising Parameters",
    0x03F: "LE Set Periodic Advertising Data",
    0x040: "LE Set Periodic Advertising Enable",
    0x041: "LE Set Extended Scan Parameters",
    0x042: "LE Set Extended Scan Enable",
    0x043: "LE Extended Create Connection",
    0x044: "LE Periodic Advertising Create Sync",
    0x045: "LE Periodic Advertising Create Sync Cancel",
    0x046: "LE Periodic Advertising Terminate Sync",
    0x047: "LE Add Device To Periodic Advertiser List",
    0x048: "LE Remove Device From Periodic Advertiser List",
    0x049: "LE Clear Periodic Advertiser List",
    0x04A: "LE Read Periodic Advertiser List Size",
    0x04B: "LE Read Transmit Power",
    0x04C: "LE Read RF Path Compensation",
    0x04D: "LE Write RF Path Compensation",
    0x04E: "LE Set Privacy Mode",
    0x04F: "LE Receiver Test v3",
    0x050: "LE Transmitter Test v3",
    0x051: "LE Set Connectionless CTE Transmit Parameters",
    0x052: "LE Set Connectionless CTE Transmit Enable",
    0x053: "LE Set Connectionless IQ Sampling Enable",
    0x054: "LE Set Connection CTE Receive Parameters",
    0x055: "LE Set Connection CTE Transmit Parameters",
    0x056: "LE Connection CTE Request Enable",
    0x057: "LE Connection CTE Response Enable",
    0x058: "LE Read Antenna Information",
    0x059: "LE Set Periodic Advertising Receive Enable",
    0x05A: "LE Periodic Advertising Sync Transfer",
    0x05B: "LE Periodic Advertising Set Info Transfer",
    0x05C: "LE Set Periodic Advertising Sync Transfer Parameters",
    0x05D: "LE Set Default Periodic Advertising Sync Transfer Parameters",
    0x05E: "LE Generate DHKey v2",
    0x05F: "LE Modify Sleep Clock Accuracy",
    0x060: "LE Read Buffer Size v2",
    0x061: "LE Read ISO TX Sync",
    0x062: "LE Set CIG Parameters",
    0x063: "LE Set CIG Parameters Test",
    0x064: "LE Create CIS",
    0x065: "LE Remove CIG",
    0x066: "LE Accept CIS Request",
    0x067: "LE Reject CIS Request",
    0x068: "LE Create BIG",
    0x069: "LE Create BIG Test",
    0x06A: "LE Terminate BIG",
    0x06B: "LE BIG Create Sync",
    0x06C: "LE BIG Terminate Sync",
    0x06D: "LE Request Peer SCA",
    0x06E: "LE Setup ISO Data Path",
    0x06F: "LE Remove ISO Data Path",
    0x070: "LE ISO Transmit Test",
    0x071: "LE ISO Receive Test",
    0x072: "LE ISO Read Test Counters",
    0x073: "LE ISO Test End",
    0x074: "LE Set Host Feature",
    0x075: "LE Read ISO Link Quality",
    0x076: "LE Enhanced Read Transmit Power Level",
    0x077: "LE Read Remote Transmit Power Level",
    0x078: "LE Set Path Loss Reporting Parameters",
    0x079: "LE Set Path Loss Reporting Enable",
    0x07A: "LE Set Transmit Power Reporting Enable",
    0x07B: "LE Transmitter Test v4",
    0x07C: "LE Set Data Related Address Changes",
    0x07D: "LE Set Default Subrate",
    0x07E: "LE Subrate Request",
    0x07F: "LE Set Extended Advertising Parameters v2",
    0x082: "LE Set Periodic Advertising Subevent Data",
    0x083: "LE Set Periodic Advertising Response Data",
    0x084: "LE Set Periodic Sync Subevent",
    0x085: "LE Extended Create Connection v2",
    0x086: "LE Set Periodic Advertising Parameters v2",
}


def opcode_of(ogf: int, ocf: int) -> int:
    """The 16-bit opcode of a command (Vol 4 Part E 5.4.1)."""
    return (ogf << 10) | ocf


def ogf_ocf(opcode: int) -> tuple[int, int]:
    return opcode >> 10, opcode & 0x3FF


COMMANDS: dict[int, str] = {0x0000: "No Operation"}  # 0x0000 only updates the credit count
for _ogf, _table in (
    (0x01, _LINK_CONTROL),
    (0x02, _LINK_POLICY),
    (0x03, _BASEBAND),
    (0x04, _INFORMATIONAL),
    (0x05, _STATUS),
    (0x06, _TESTING),
    (0x08, _LE),
):
    COMMANDS.update({opcode_of(_ogf, ocf): name for ocf, name in _table.items()})


def is_vendor(opcode: int) -> bool:
    return opcode >> 10 == VENDOR_OGF


def command_name(opcode: int) -> str:
    """'LE Set Scan Parameters', 'Vendor 0xfd57' or 'Unknown 0x2099'."""
    if (name := COMMANDS.get(opcode)) is not None:
        return name
    return f"{'Vendor' if is_vendor(opcode) else 'Unknown'} 0x{opcode:04x}"


# Vol 4 Part E 7.7
EVENTS = {
    0x01: "Inquiry Complete",
    0x02: "Inquiry Result",
    0x03: "Connection Complete",
    0x04: "Connection Request",
    0x05: "Disconnection Complete",
    0x06: "Authentication Complete",
    0x07: "Remote Name Request Complete",
    0x08: "Encryption Change",
    0x09: "Change Connection Link Key Complete",
    0x0A: "Link Key Type Changed",
    0x0B: "Read Remote Supported Features Complete",
    0x0C: "Read Remote Version Information Complete",
    0x0D: "QoS Setup Complete",
    0x0E: "Command Complete",
    0x0F: "Command Status",
    0x10: "Hardware Error",
    0x11: "Flush Occurred",
    0x12: "Role Change",
    0x13: "Number Of Completed Packets",
    0x14: "Mode Change",
    0x15: "Return Link Keys",
    0x16: "PIN Code Request",
    0x17: "Link Key Request",
    0x18: "Link Key Notification",
    0x19: "Loopback Command",
    0x1A: "Data Buffer Overflow",
    0x1B: "Max Slots Change",
    0x1C: "Read Clock Offset Complete",
    0x1D: "Connection Packet Type Changed",
    0x1E: "QoS Violation",
    0x1F: "Page Scan Mode Change",
    0x20: "Page Scan Repetition Mode Change",
    0x21: "Flow Specification Complete",
    0x22: "Inquiry Result with RSSI",
    0x23: "Read Remote Extended Features Complete",
    0x2C: "Synchronous Connection Complete",
    0x2D: "Synchronous Connection Changed",
    0x2E: "Sniff Subrating",
    0x2F: "Extended Inquiry Result",
    0x30: "Encryption Key Refresh Complete",
    0x31: "IO Capability Request",
    0x32: "IO Capability Response",
    0x33: "User Confirmation Request",
    0x34: "User Passkey Request",
    0x35: "Remote OOB Data Request",
    0x36: "Simple Pairing Complete",
    0x38: "Link Supervision Timeout Changed",
    0x39: "Enhanced Flush Complete",
    0x3B: "User Passkey Notification",
    0x3C: "Keypress Notification",
    0x3D: "Remote Host Supported Features Notification",
    0x3E: "LE Meta",
    0x40: "Physical Link Complete",  # 0x40-0x4D: AMP, withdrawn in Core 5.3
    0x41: "Channel Selected",
    0x42: "Disconnection Physical Link Complete",
    0x43: "Physical Link Loss Early Warning",
    0x44: "Physical Link Recovery",
    0x45: "Logical Link Complete",
    0x46: "Disconnection Logical Link Complete",
    0x47: "Flow Spec Modify Complete",
    0x48: "Number Of Completed Data Blocks",
    0x49: "AMP Start Test",
    0x4A: "AMP Test End",
    0x4B: "AMP Receiver Report",
    0x4C: "Short Range Mode Change Complete",
    0x4D: "AMP Status Change",
    0x4E: "Triggered Clock Capture",
    0x4F: "Synchronization Train Complete",
    0x50: "Synchronization Train Received",
    0x51: "Connectionless Peripheral Broadcast Receive",
    0x52: "Connectionless Peripheral Broadcast Timeout",
    0x53: "Truncated Page Complete",
    0x54: "Peripheral Page Response Timeout",
    0x55: "Connectionless Peripheral Broadcast Channel Map Change",
    0x56: "Inquiry Response Notification",
    0x57: "Authenticated Payload Timeout Expired",
    0x58: "SAM Status Change",
    0x59: "Encryption Change v2",
    0xFE: "Bluetooth Logo Testing",
    0xFF: "Vendor",
}

# Vol 4 Part E 7.7.65
LE_SUBEVENTS = {
    0x01: "LE Connection Complete",
    0x02: "LE Advertising Report",
    0x03: "LE Connection Update Complete",
    0x04: "LE Read Remote Features Complete",
    0x05: "LE Long Term Key Request",
    0x06: "LE Remote Connection Parameter Request",
    0x07: "LE Data Length Change",
    0x08: "LE Read Local P-256 Public Key Complete",
    0x09: "LE Generate DHKey Complete",
    0x0A: "LE Enhanced Connection Complete",
    0x0B: "LE Directed Advertising Report",
    0x0C: "LE PHY Update Complete",
    0x0D: "LE Extended Advertising Report",
    0x0E: "LE Periodic Advertising Sync Established",
    0x0F: "LE Periodic Advertising Report",
    0x10: "LE Periodic Advertising Sync Lost",
    0x11: "LE Scan Timeout",
    0x12: "LE Advertising Set Terminated",
    0x13: "LE Scan Request Received",
    0x14: "LE Channel Selection Algorithm",
    0x15: "LE Connectionless IQ Report",
    0x16: "LE Connection IQ Report",
    0x17: "LE CTE Request Failed",
    0x18: "LE Periodic Advertising Sync Transfer Received",
    0x19: "LE CIS Established",
    0x1A: "LE CIS Request",
    0x1B: "LE Create BIG Complete",
    0x1C: "LE Terminate BIG Complete",
    0x1D: "LE BIG Sync Established",
    0x1E: "LE BIG Sync Lost",
    0x1F: "LE Request Peer SCA Complete",
    0x20: "LE Path Loss Threshold",
    0x21: "LE Transmit Power Reporting",
    0x22: "LE BIGInfo Advertising Report",
    0x23: "LE Subrate Change",
    0x24: "LE Periodic Advertising Sync Established v2",
    0x25: "LE Periodic Advertising Report v2",
    0x26: "LE Periodic Advertising Sync Transfer Received v2",
    0x27: "LE Periodic Advertising Subevent Data Request",
    0x28: "LE Periodic Advertising Response Report",
    0x29: "LE Enhanced Connection Complete v2",
}


def event_name(code: int) -> str:
    return EVENTS.get(code) or f"Unknown event 0x{code:02x}"


def le_subevent_name(code: int) -> str:
    return LE_SUBEVENTS.get(code) or f"Unknown LE subevent 0x{code:02x}"


# Vol 1 Part F 1.3
ERRORS = {
    0x00: "Success",
    0x01: "Unknown HCI Command",
    0x02: "Unknown Connection Identifier",
    0x03: "Hardware Failure",
    0x04: "Page Timeout",
    0x05: "Authentication Failure",
    0x06: "PIN or Key Missing",
    0x07: "Memory Capacity Exceeded",
    0x08: "Connection Timeout",
    0x09: "Connection Limit Exceeded",
    0x0A: "Synchronous Connection Limit To A Device Exceeded",
    0x0B: "Connection Already Exists",
    0x0C: "Command Disallowed",
    0x0D: "Connection Rejected due to Limited Resources",
    0x0E: "Connection Rejected Due To Security Reasons",
    0x0F: "Connection Rejected due to Unacceptable BD_ADDR",
    0x10: "Connection Accept Timeout Exceeded",
    0x11: "Unsupported Feature or Parameter Value",
    0x12: "Invalid HCI Command Parameters",
    0x13: "Remote User Terminated Connection",
    0x14: "Remote Device Terminated Connection due to Low Resources",
    0x15: "Remote Device Terminated Connection due to Power Off",
    0x16: "Connection Terminated By Local Host",
    0x17: "Repeated Attempts",
    0x18: "Pairing Not Allowed",
    0x19: "Unknown LMP PDU",
    0x1A: "Unsupported Remote Feature",
    0x1B: "SCO Offset Rejected",
    0x1C: "SCO Interval Rejected",
    0x1D: "SCO Air Mode Rejected",
    0x1E: "Invalid LMP Parameters / Invalid LL Parameters",
    0x1F: "Unspecified Error",
    0x20: "Unsupported LMP Parameter Value / Unsupported LL Parameter Value",
    0x21: "Role Change Not Allowed",
    0x22: "LMP Response Timeout / LL Response Timeout",
    0x23: "LMP Error Transaction Collision / LL Procedure Collision",
    0x24: "LMP PDU Not Allowed",
    0x25: "Encryption Mode Not Acceptable",
    0x26: "Link Key cannot be Changed",
    0x27: "Requested QoS Not Supported",
    0x28: "Instant Passed",
    0x29: "Pairing With Unit Key Not Supported",
    0x2A: "Different Transaction Collision",
    0x2C: "QoS Unacceptable Parameter",
    0x2D: "QoS Rejected",
    0x2E: "Channel Classification Not Supported",
    0x2F: "Insufficient Security",
    0x30: "Parameter Out Of Mandatory Range",
    0x32: "Role Switch Pending",
    0x34: "Reserved Slot Violation",
    0x35: "Role Switch Failed",
    0x36: "Extended Inquiry Response Too Large",
    0x37: "Secure Simple Pairing Not Supported By Host",
    0x38: "Host Busy - Pairing",
    0x39: "Connection Rejected due to No Suitable Channel Found",
    0x3A: "Controller Busy",
    0x3B: "Unacceptable Connection Parameters",
    0x3C: "Advertising Timeout",
    0x3D: "Connection Terminated due to MIC Failure",
    0x3E: "Connection Failed to be Established / Synchronization Timeout",
    0x3F: "Previously Used",
    0x40: "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging",
    0x41: "Type0 Submap Not Defined",
    0x42: "Unknown Advertising Identifier",
    0x43: "Limit Reached",
    0x44: "Operation Cancelled by Host",
    0x45: "Packet Too Long",
    0x46: "Too Late",  # 0x46-0x47: periodic advertising with responses
    0x47: "Too Early",
}


def error_name(code: int) -> str:
    return ERRORS.get(code) or f"Reserved error 0x{code:02x}"


def status_text(status: int) -> str:
    """'0x00', or '0x3e (Connection Failed to be Established / Synchronization Timeout)'."""
    return f"0x{status:02x}" if status == 0 else error_text(status)


def error_text(code: int) -> str:
    """'0x13 (Remote User Terminated Connection)'."""
    return f"0x{code:02x} ({error_name(code)})"


# -- values the records print -------------------------------------------------------------

ADDRESS_TYPES = {0: "public", 1: "random", 2: "public identity", 3: "random identity"}
ADDRESS_TYPES_EXT = ADDRESS_TYPES | {0xFF: "anonymous"}  # extended advertising reports
ROLES = {0: "central", 1: "peripheral"}
PHYS = {1: "LE 1M", 2: "LE 2M", 3: "LE Coded"}
PRIMARY_PHYS = {1: "LE 1M", 3: "LE Coded"}  # and in extended reports, 0 = no packets


def value_name(table: dict[int, str], value: int) -> str:
    return table.get(value) or f"0x{value:02x}"


def peer_text(address: bytes, kind: int) -> str:
    """'C0:FF:EE:12:34:56 (random)'."""
    return f"{address_text(address)} ({value_name(ADDRESS_TYPES_EXT, kind)})"


def ms_text(units: int, unit_ms: float) -> str:
    """A time counted in `unit_ms` units: ms_text(24, 1.25) == '30.00 ms'."""
    return f"{units * unit_ms:.2f} ms"


def connection_text(interval_min: int, interval_max: int, latency: int, timeout: int) -> str:
    """Connection parameters: interval in 1.25 ms, latency in events, timeout in 10 ms."""
    interval = ms_text(interval_min, 1.25)
    if interval_max != interval_min:
        interval += f"-{ms_text(interval_max, 1.25)}"
    return f"interval {interval} latency {latency} timeout {ms_text(timeout, 10)}"


def address_text(raw: bytes) -> str:
    """A BD_ADDR as printed: most significant octet first ('C0:FF:EE:12:34:56')."""
    return ":".join(f"{b:02X}" for b in reversed(raw))


_HEX_FIELDS: tuple[str, ...] = (
    "mask",
    "features",
    "map",
    "properties",
    "phys",
    "policy",
    "options",
    "opcode",
)
_HEX_FIELDS += ("diversifier", "code", "company", "version", "packet_type", "class_of")


def _field_text(name: str, value: object) -> str:
    if isinstance(value, bytes):
        if "address" in name and len(value) == 6:
            return address_text(value)
        return value.hex() or "-"
    if isinstance(value, tuple):
        return str(len(value))
    if not isinstance(value, int):
        return str(value)
    if name == "status":
        return status_text(value)
    if name == "reason":
        return error_text(value)
    if name.endswith("handle"):
        return f"0x{value:04x}"
    if name.endswith("address_type"):
        return value_name(ADDRESS_TYPES_EXT, value)
    if name.endswith("role"):
        return value_name(ROLES, value)
    if name.endswith("_phy"):
        return value_name(PHYS, value)
    if not any(w in name for w in _HEX_FIELDS):
        return str(value)
    digits = 4 if "company" in name or "subversion" in name or "opcode" in name else 2
    while value >> (4 * digits):
        digits *= 2
    return f"0x{value:0{digits}x}"


def describe_fields(record: object) -> str:
    """A record's fields as btmon-like text: 'handle 0x0040 reason 0x13 (Remote User
    Terminated Connection)'. Handles, opcodes, masks and codes in hex; counts in decimal;
    addresses most significant octet first; arrays by their length."""
    names: tuple[str, ...] = getattr(record, "__struct_fields__", ())
    return " ".join(f"{n.replace('_', ' ')} {_field_text(n, getattr(record, n))}" for n in names)


# -- TI's vendor-specific ATT messages (see hci_commands.py) ------------------------------

TI_ATT_NAMES = {
    0x01: "ATT_ErrorRsp",
    0x02: "ATT_ExchangeMTUReq",
    0x03: "ATT_ExchangeMTURsp",
    0x04: "ATT_FindInfoReq",
    0x05: "ATT_FindInfoRsp",
    0x06: "ATT_FindByTypeValueReq",
    0x07: "ATT_FindByTypeValueRsp",
    0x08: "ATT_ReadByTypeReq",
    0x09: "ATT_ReadByTypeRsp",
    0x0A: "ATT_ReadReq",
    0x0B: "ATT_ReadRsp",
    0x0C: "ATT_ReadBlobReq",
    0x0D: "ATT_ReadBlobRsp",
    0x0E: "ATT_ReadMultiReq",
    0x0F: "ATT_ReadMultiRsp",
    0x10: "ATT_ReadByGrpTypeReq",
    0x11: "ATT_ReadByGrpTypeRsp",
    0x12: "ATT_WriteReq",
    0x13: "ATT_WriteRsp",
    0x16: "ATT_PrepareWriteReq",
    0x17: "ATT_PrepareWriteRsp",
    0x18: "ATT_ExecuteWriteReq",
    0x19: "ATT_ExecuteWriteRsp",
    0x1B: "ATT_HandleValueNoti",
    0x1D: "ATT_HandleValueInd",
    0x1E: "ATT_HandleValueCfm",
    0x7E: "ATT_FlowCtrlViolatedEvt",
    0x7F: "ATT_MtuUpdatedEvt",
}


def ti_att_name(att_opcode: int) -> str:
    return TI_ATT_NAMES.get(att_opcode) or f"ATT 0x{att_opcode:02x}"
