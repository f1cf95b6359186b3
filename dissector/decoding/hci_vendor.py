"""Names for vendor-specific HCI commands (OGF 0x3F), vendor events and vendor debug data.

A vendor opcode means what the controller's maker says it means, so the table used is the
one of the company the controller gives in HCI_Read_Local_Version_Information (Assigned
Numbers, company identifiers); the decoder remembers it per adapter. Before that reply, or
for a maker not listed here, a vendor opcode keeps only its number.

Google's Android extensions are the exception: every controller in an Android phone, whoever
made it, implements the commands with OCF 0x153-0x15F and the vendor event sub-codes
0x54-0x58 (source.android.com, "Bluetooth HCI requirements"), so those are named for any
maker whose own table does not say otherwise, and the name says "Android".

Makers' names come from what their Linux drivers send (drivers/bluetooth: btintel, btbcm,
btqca, btrtl, btmtk) and from btmon's and Wireshark's vendor decoders.
"""

from __future__ import annotations

INTEL = 0x0002
BROADCOM = 0x000F
QUALCOMM = 0x001D
MEDIATEK = 0x0046
REALTEK = 0x005D
CYPRESS = 0x0131  # Broadcom's former Bluetooth business: the same vendor commands

MAKERS = {
    INTEL: "Intel",
    BROADCOM: "Broadcom",
    QUALCOMM: "Qualcomm",
    MEDIATEK: "MediaTek",
    REALTEK: "Realtek",
    CYPRESS: "Cypress",
}

# Qualcomm controllers send their own logs to the host as ACL data on this handle, which no
# connection is given (Linux hci_qca.c "controller debug log header" 0x2EDC: the handle
# with packet boundary flag 0b10)
DEBUG_ACL_HANDLE = 0x0EDC

# -- commands: OCF -> name ----------------------------------------------------------------

_BROADCOM_COMMANDS = {
    0x001: "Write BD ADDR",
    0x018: "Update UART Baud Rate",
    0x01C: "Write SCO PCM Int Param",
    0x01D: "Read SCO PCM Int Param",
    0x01E: "Write PCM Data Format Param",
    0x027: "Set Sleep Mode Param",
    0x028: "Read Sleep Mode Param",
    0x02E: "Download Minidriver",
    0x034: "Enable Radio",
    0x03B: "Enable USB HID Emulation",
    0x044: "Read UART Clock Setting",
    0x045: "Write UART Clock Setting",
    0x048: "Read Raw RSSI",
    0x04C: "Write RAM",
    0x04D: "Read RAM",
    0x04E: "Launch RAM",
    0x057: "Set ACL Priority",
    0x05A: "Read VID PID",
    0x06D: "Write I2S PCM Interface Param",
    0x06E: "Read Controller Features",
    0x079: "Read Verbose Config Version Info",
    0x07E: "Enable WBS",
}

_INTEL_COMMANDS = {
    0x001: "Reset",
    0x002: "No Operation",
    0x005: "Read Version",
    0x006: "Set UART Baudrate",
    0x007: "Enable LPM",
    0x008: "PCM Write Configuration",
    0x009: "Secure Send",
    0x00D: "Read Secure Boot Params",
    0x00E: "Write Secure Boot Params",
    0x00F: "Unlock",
    0x010: "Change UART Baudrate",
    0x011: "Manufacturer Mode",
    0x012: "Read Link RSSI",
    0x022: "Get Exception Info",
    0x024: "Clear Exception Info",
    0x02F: "Write BD Data",
    0x030: "Read BD Data",
    0x031: "Write BD Address",
    0x032: "Flow Specification",
    0x034: "Read Secure ID",
    0x038: "Set Synchronous USB Interface Type",
    0x039: "Config Synchronous Interface",
    0x03F: "SW RF Kill",
    0x043: "Activate Deactivate Traces",
    0x04D: "Stimulate Exception",
    0x050: "Read HW Version",
    0x052: "Set Event Mask",
    0x053: "Config Link Controller",
    0x089: "DDC Write",
    0x08A: "DDC Read",
    0x08B: "DDC Config Write",
    0x08C: "DDC Config Read",
    0x08D: "Memory Read",
    0x08E: "Memory Write",
    0x0A6: "Read Supported Features",
}

_QUALCOMM_COMMANDS = {
    0x000: "EDL Patch",
    0x008: "Pre-Shutdown",
    0x00B: "NVM Access",
    0x014: "Write BD ADDR",
    0x017: "Disable Logging",
    0x048: "Set Baud Rate",
}

_REALTEK_COMMANDS = {
    0x020: "Download Firmware",
    0x061: "Read Register",
    0x06D: "Read ROM Version",
}

_MEDIATEK_COMMANDS = {0x06F: "WMT"}

# the first parameter byte of a command shared by several operations
_SUB_OPERATIONS: dict[tuple[int | None, int], dict[int, str]] = {
    (QUALCOMM, 0x000): {
        0x05: "Reset SoC",
        0x19: "Patch Version Request",
        0x1E: "Patch TLV Request",
        0x20: "Get Build Info",
        0x23: "Get Board ID",
        0x28: "Patch Config",
    },
}
# MediaTek's WMT header (direction 0x01, operation, ...): the operation is the second byte
_MEDIATEK_WMT = {
    0x01: "Patch Download",
    0x02: "Test",
    0x03: "Wake Up",
    0x04: "HIF",
    0x06: "Function Control",
    0x07: "Reset",
    0x17: "Semaphore",
}

_ANDROID_COMMANDS = {
    0x153: "LE Get Vendor Capabilities",
    0x154: "LE Multi Advertising",
    0x156: "LE Batch Scan",
    0x157: "LE APCF",
    0x158: "LE Tracking Advertising",
    0x159: "LE Get Controller Activity Energy Info",
    0x15A: "LE Extended Scan Parameters",
    0x15B: "Controller Debug Info",
    0x15D: "A2DP Hardware Offload",
    0x15E: "Bluetooth Quality Report",
    0x15F: "Dynamic Audio Buffer",
}
_ANDROID_SUB_OPERATIONS = {
    0x154: {
        0x01: "Set Parameters",
        0x02: "Set Advertising Data",
        0x03: "Set Scan Response",
        0x04: "Set Random Address",
        0x05: "Enable",
    },
    0x156: {
        0x01: "Enable Customer Feature",
        0x02: "Set Storage Parameters",
        0x03: "Set Scan Parameters",
        0x04: "Read Results",
    },
    0x157: {
        0x00: "Enable",
        0x01: "Set Filtering Parameters",
        0x02: "Broadcaster Address",
        0x03: "Service UUID",
        0x04: "Service Solicitation UUID",
        0x05: "Local Name",
        0x06: "Manufacturer Data",
        0x07: "Service Data",
    },
    0x15D: {0x01: "Start", 0x02: "Stop"},
}

_COMMANDS = {
    INTEL: _INTEL_COMMANDS,
    BROADCOM: _BROADCOM_COMMANDS,
    CYPRESS: _BROADCOM_COMMANDS,
    QUALCOMM: _QUALCOMM_COMMANDS,
    REALTEK: _REALTEK_COMMANDS,
    MEDIATEK: _MEDIATEK_COMMANDS,
}

# -- events: the vendor event's first parameter byte -> name --------------------------------

_INTEL_EVENTS = {
    0x00: "Startup",
    0x01: "Fatal Exception",
    0x02: "Bootup",
    0x05: "Default BD Data",
    0x06: "Secure Send Commands Result",
    0x08: "Debug Exception",
    0x0F: "LE Link Established",
    0x11: "Scan Status",
    0x16: "Activate Deactivate Traces Complete",
    0x17: "LMP PDU Trace",
    0x19: "Write BD Data Complete",
    0x25: "SCO Rejected via LMP",
    0x26: "PTT Switch Notification",
    0x29: "System Exception",
    0x2C: "FW Trace String",
    0x2E: "FW Trace Binary",
}
_BROADCOM_EVENTS = {0xB4: "LM Diag"}
_ANDROID_EVENTS = {
    0x54: "LE Storage Threshold Breach",
    0x55: "LE Multi Advertising State Change",
    0x56: "LE Advertisement Tracking",
    0x57: "Controller Debug Info",
    0x58: "Bluetooth Quality Report",
}
# Bluetooth Quality Report: the report's kind follows the sub-code
_BQR_REPORTS = {
    0x01: "Quality Monitoring",
    0x02: "Approaching LSTO",
    0x03: "A2DP Audio Choppy",
    0x04: "(e)SCO Voice Choppy",
    0x05: "Root Inflammation",
    0x11: "LMP/LL Message Trace",
    0x12: "Multi-profile/Coex Scheduling Trace",
    0x13: "Enter Controller Debug Mode",
}
_EVENTS = {INTEL: _INTEL_EVENTS, BROADCOM: _BROADCOM_EVENTS, CYPRESS: _BROADCOM_EVENTS}

# vendor event codes other than 0xFF, by maker
_MEDIATEK_WMT_EVENT = 0xE4


def vendor_command_name(opcode: int, params: bytes, company: int | None) -> str | None:
    """'Broadcom Write RAM', 'Android LE Advertising Packet Content Filter: Enable', or None
    when neither the controller's maker (None: not known yet) nor Android names it."""
    ocf = opcode & 0x03FF
    maker = MAKERS.get(company) if company is not None else None
    table = _COMMANDS.get(company) if company is not None else None
    if maker is not None and table is not None and ocf in table:
        name = f"{maker} {table[ocf]}"
        if company == MEDIATEK and len(params) >= 2:
            return _with(name, _MEDIATEK_WMT.get(params[1]))
        subs = _SUB_OPERATIONS.get((company, ocf))
        return _with(name, subs.get(params[0]) if subs and params else None)
    if ocf in _ANDROID_COMMANDS:
        name = f"Android {_ANDROID_COMMANDS[ocf]}"
        subs = _ANDROID_SUB_OPERATIONS.get(ocf)
        return _with(name, subs.get(params[0]) if subs and params else None)
    return None


def vendor_event_name(code: int, params: bytes, company: int | None) -> str | None:
    """The name of a vendor event (0xFF, or a maker's own code) or None."""
    maker = MAKERS.get(company) if company is not None else None
    if code == _MEDIATEK_WMT_EVENT and company == MEDIATEK:
        return _with(
            "MediaTek WMT Event", _MEDIATEK_WMT.get(params[1]) if len(params) > 1 else None
        )
    if code != 0xFF or not params:
        return None
    own = _EVENTS.get(company) if company is not None else None
    if maker is not None and own is not None and params[0] in own:
        return f"{maker} {own[params[0]]}"
    if params[0] in _ANDROID_EVENTS:
        name = f"Android {_ANDROID_EVENTS[params[0]]}"
        if params[0] == 0x58 and len(params) > 1:
            return _with(name, _BQR_REPORTS.get(params[1]))
        return name
    return None


def _with(name: str, sub: str | None) -> str:
    return f"{name}: {sub}" if sub else name
