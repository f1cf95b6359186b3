"""LE link layer control PDUs (Core 5.4 Vol 6 Part B 2.4.2).

A data physical channel PDU with LLID 0b11 carries an LL control PDU: an Opcode octet and
the CtrData its opcode defines. Each PDU is a class registered by `ll_control(opcode, name)`
with its CtrData fields declared once (see `pdu.py`), so `decode_ll_control(b).to_bytes()
== b` for every well-formed PDU. CtrData of the wrong size is a `Malformed`; an opcode
this module does not know is an `LlControlUnknown` with its bytes kept. Bit-packed
fields keep the octets as sent, with properties for the parts. Times are in the units
the specification gives (1.25 ms, 10 ms, us); properties convert the common ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, ClassVar, TypeVar

from attscope.dissector.decoding.ad_structures import company_text
from attscope.dissector.decoding.ll_adv import SCA_PPM, SyncInfo, address_text, used_channels
from attscope.dissector.decoding.pdu import (
    I8,
    U8,
    U16,
    U24,
    U32,
    U64,
    Fixed,
    Pdu,
    Registry,
)

LL_VERSIONS = {6: "4.0", 7: "4.1", 8: "4.2", 9: "5.0", 10: "5.1", 11: "5.2", 12: "5.3", 13: "5.4"}
"""Link Layer version numbers (Assigned Numbers 2.1)."""

ERROR_CODES = {
    0x00: "Success", 0x01: "Unknown HCI Command", 0x02: "Unknown Connection Identifier",
    0x03: "Hardware Failure", 0x04: "Page Timeout", 0x05: "Authentication Failure",
    0x06: "PIN or Key Missing", 0x07: "Memory Capacity Exceeded", 0x08: "Connection Timeout",
    0x09: "Connection Limit Exceeded",
    0x0A: "Synchronous Connection Limit To A Device Exceeded",
    0x0B: "Connection Already Exists", 0x0C: "Command Disallowed",
    0x0D: "Connection Rejected due to Limited Resources",
    0x0E: "Connection Rejected Due To Security Reasons",
    0x0F: "Connection Rejected due to Unacceptable BD_ADDR",
    0x10: "Connection Accept Timeout Exceeded",
    0x11: "Unsupported Feature or Parameter Value", 0x12: "Invalid HCI Command Parameters",
    0x13: "Remote User Terminated Connection",
    0x14: "Remote Device Terminated Connection due to Low Resources",
    0x15: "Remote Device Terminated Connection due to Power Off",
    0x16: "Connection Terminated By Local Host", 0x17: "Repeated Attempts",
    0x18: "Pairing Not Allowed", 0x19: "Unknown LMP PDU", 0x1A: "Unsupported Remote Feature",
    0x1B: "SCO Offset Rejected", 0x1C: "SCO Interval Rejected", 0x1D: "SCO Air Mode Rejected",
    0x1E: "Invalid LMP Parameters / Invalid LL Parameters", 0x1F: "Unspecified Error",
    0x20: "Unsupported LMP Parameter Value / Unsupported LL Parameter Value",
    0x21: "Role Change Not Allowed", 0x22: "LMP Response Timeout / LL Response Timeout",
    0x23: "LMP Error Transaction Collision / LL Procedure Collision",
    0x24: "LMP PDU Not Allowed", 0x25: "Encryption Mode Not Acceptable",
    0x26: "Link Key cannot be Changed", 0x27: "Requested QoS Not Supported",
    0x28: "Instant Passed", 0x29: "Pairing With Unit Key Not Supported",
    0x2A: "Different Transaction Collision", 0x2C: "QoS Unacceptable Parameter",
    0x2D: "QoS Rejected", 0x2E: "Channel Classification Not Supported",
    0x2F: "Insufficient Security", 0x30: "Parameter Out Of Mandatory Range",
    0x32: "Role Switch Pending", 0x34: "Reserved Slot Violation", 0x35: "Role Switch Failed",
    0x36: "Extended Inquiry Response Too Large",
    0x37: "Secure Simple Pairing Not Supported By Host", 0x38: "Host Busy - Pairing",
    0x39: "Connection Rejected due to No Suitable Channel Found", 0x3A: "Controller Busy",
    0x3B: "Unacceptable Connection Parameters", 0x3C: "Advertising Timeout",
    0x3D: "Connection Terminated due to MIC Failure",
    0x3E: "Connection Failed to be Established / Synchronization Timeout",
    0x40: "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging",
    0x41: "Type0 Submap Not Defined", 0x42: "Unknown Advertising Identifier",
    0x43: "Limit Reached", 0x44: "Operation Cancelled by Host", 0x45: "Packet Too Long",
}  # fmt: skip
"""Controller error codes (Core 5.4 Vol 1 Part F 1.3)."""

FEATURES = (
    "LE Encryption", "Connection Parameters Request procedure", "Extended Reject Indication",
    "Peripheral-initiated Features Exchange", "LE Ping", "LE Data Packet Length Extension",
    "LL Privacy", "Extended Scanner Filter Policies", "LE 2M PHY",
    "Stable Modulation Index - Transmitter", "Stable Modulation Index - Receiver",
    "LE Coded PHY", "LE Extended Advertising", "LE Periodic Advertising",
    "Channel Selection Algorithm #2", "LE Power Class 1",
    "Minimum Number of Used Channels procedure", "Connection CTE Request",
    "Connection CTE Response", "Connectionless CTE Transmitter", "Connectionless CTE Receiver",
    "Antenna Switching During CTE Transmission (AoD)",
    "Antenna Switching During CTE Reception (AoA)", "Receiving Constant Tone Extensions",
    "Periodic Advertising Sync Transfer - Sender",
    "Periodic Advertising Sync Transfer - Recipient", "Sleep Clock Accuracy Updates",
    "Remote Public Key Validation", "Connected Isochronous Stream - Central",
    "Connected Isochronous Stream - Peripheral", "Isochronous Broadcaster",
    "Synchronized Receiver", "Connected Isochronous Stream (Host Support)",
    "LE Power Control Request", "LE Power Control Request", "LE Path Loss Monitoring",
    "Periodic Advertising ADI support", "Connection Subrating",
    "Connection Subrating (Host Support)", "Channel Classification",
    "Advertising Coding Selection", "Advertising Coding Selection (Host Support)", "",
    "Periodic Advertising with Responses - Advertiser",
    "Periodic Advertising with Responses - Scanner",
)  # fmt: skip
"""FeatureSet bits 0-44 (4.6); others are reserved."""

PHY_BITS = ("LE 1M", "LE 2M", "LE Coded")


def error_text(code: int) -> str:
    return f"{ERROR_CODES.get(code, 'Reserved')} (0x{code:02x})"


def feature_names(bits: int) -> list[str]:
    return [
        FEATURES[i] if i < len(FEATURES) and FEATURES[i] else f"bit {i}"
        for i in range(64)
        if bits >> i & 1
    ]


def phy_names(bits: int) -> str:
    names = [PHY_BITS[i] if i < 3 else f"bit {i}" for i in range(8) if bits >> i & 1]
    return "/".join(names) or "none"


# -- base and registry ------------------------------------------------------------------


class LlControlPdu(Pdu, frozen=True, gc=False):
    """An LL control PDU; `to_bytes` gives Opcode and CtrData."""

    opcode: ClassVar[int]
    name: ClassVar[str]

    def to_bytes(self) -> bytes:
        return bytes([self.opcode]) + self.encode_body()

    def details(self) -> str:
        """The parameters for a summary line (by default every field, name=value)."""
        parts = []
        for f in self.__struct_fields__:
            v = getattr(self, f)
            parts.append(f"{f}={v.hex() if isinstance(v, bytes) else v}")
        return " ".join(parts)

    def summary(self) -> str:
        details = self.details()
        return f"{self.name} {details}" if details else self.name


CONTROL: Registry[LlControlPdu] = Registry(
    "ll_control",
    code_attr="opcode",
    unknown=lambda code, data: LlControlUnknown(code, data),
    empty="a control PDU without its opcode",
)
CONTROL_PDUS = CONTROL.classes  # opcode -> class
C = TypeVar("C", bound=type[LlControlPdu])


def ll_control(opcode: int, name: str) -> Callable[[C], C]:
    """Register an LL control PDU class under its opcode (2.4.2; see `pdu.Registry`)."""

    def named(cls: C) -> None:
        cls.name = name

    return CONTROL.register(opcode, setup=named)


class LlControlUnknown(LlControlPdu, frozen=True, gc=False, tag="ll_control_unknown"):
    """An opcode this module does not know (reserved in 5.4 or newer); CtrData kept."""

    code: int
    ctr_data: bytes

    name = "LL_UNKNOWN_OPCODE"

    def to_bytes(self) -> bytes:
        return bytes([self.code]) + self.ctr_data

    def summary(self) -> str:
        return f"LL control opcode 0x{self.code:02x} ({len(self.ctr_data)} bytes)"


decode_ll_control = CONTROL.decode  # Opcode, CtrData as a record; never raises


# -- connection parameters, channel map, termination (2.4.2.1-2.4.2.3) ------------------


class _Timing(LlControlPdu, frozen=True, gc=False):
    def ms(self, field: str, unit: float) -> str:
        return f"{getattr(self, field) * unit:g} ms"


@ll_control(0x00, "LL_CONNECTION_UPDATE_IND")
class ConnectionUpdateInd(_Timing, frozen=True, gc=False, tag="ll_connection_update_ind"):
    """LL_CONNECTION_UPDATE_IND (2.4.2.1): new window, interval, latency, timeout."""

    win_size: Annotated[int, U8]  # 1.25 ms
    win_offset: Annotated[int, U16]  # 1.25 ms
    interval: Annotated[int, U16]  # 1.25 ms
    latency: Annotated[int, U16]
    timeout: Annotated[int, U16]  # 10 ms
    instant: Annotated[int, U16]

    @property
    def interval_us(self) -> int:
        return self.interval * 1250

    @property
    def timeout_ms(self) -> int:
        return self.timeout * 10

    def details(self) -> str:
        return (
            f"interval {self.ms('interval', 1.25)} latency {self.latency} timeout "
            f"{self.ms('timeout', 10)} window {self.ms('win_size', 1.25)} at "
            f"+{self.ms('win_offset', 1.25)} instant {self.instant}"
        )


@ll_control(0x01, "LL_CHANNEL_MAP_IND")
class ChannelMapInd(LlControlPdu, frozen=True, gc=False, tag="ll_channel_map_ind"):
    """LL_CHANNEL_MAP_IND (2.4.2.2): the channel map to use from the instant."""

    chm: Annotated[bytes, Fixed(5)]
    instant: Annotated[int, U16]

    @property
    def channels(self) -> list[int]:
        return used_channels(self.chm)

    def details(self) -> str:
        return f"{len(self.channels)} channels instant {self.instant}"


@ll_control(0x02, "LL_TERMINATE_IND")
class TerminateInd(LlControlPdu, frozen=True, gc=False, tag="ll_terminate_ind"):
    """LL_TERMINATE_IND (2.4.2.3): the connection ends, for the error code's reason."""

    error_code: Annotated[int, U8]

    def details(self) -> str:
        return error_text(self.error_code)


# -- encryption (2.4.2.4-2.4.2.7, 2.4.2.11-12) ----------------------------------------


@ll_control(0x03, "LL_ENC_REQ")
class EncReq(LlControlPdu, frozen=True, gc=False, tag="ll_enc_req"):
    """LL_ENC_REQ (2.4.2.4): Rand and EDIV name the LTK; the central's SKD and IV parts."""

    rand: Annotated[bytes, Fixed(8)]
    ediv: Annotated[int, U16]
    skd_c: Annotated[bytes, Fixed(8)]
    iv_c: Annotated[bytes, Fixed(4)]

    def details(self) -> str:
        return f"rand {self.rand.hex()} ediv 0x{self.ediv:04x}"


@ll_control(0x04, "LL_ENC_RSP")
class EncRsp(LlControlPdu, frozen=True, gc=False, tag="ll_enc_rsp"):
    """LL_ENC_RSP (2.4.2.5): the peripheral's SKD and IV parts."""

    skd_p: Annotated[bytes, Fixed(8)]
    iv_p: Annotated[bytes, Fixed(4)]


@ll_control(0x05, "LL_START_ENC_REQ")
class StartEncReq(LlControlPdu, frozen=True, gc=False, tag="ll_start_enc_req"):
    """LL_START_ENC_REQ (2.4.2.6), no CtrData."""


@ll_control(0x06, "LL_START_ENC_RSP")
class StartEncRsp(LlControlPdu, frozen=True, gc=False, tag="ll_start_enc_rsp"):
    """LL_START_ENC_RSP (2.4.2.7), no CtrData."""


@ll_control(0x07, "LL_UNKNOWN_RSP")
class UnknownRsp(LlControlPdu, frozen=True, gc=False, tag="ll_unknown_rsp"):
    """LL_UNKNOWN_RSP (2.4.2.8): the opcode the sender did not understand."""

    unknown_type: Annotated[int, U8]

    def details(self) -> str:
        cls = CONTROL_PDUS.get(self.unknown_type)
        return f"{cls.name if cls else 'opcode'} (0x{self.unknown_type:02x})"


class _Features(LlControlPdu, frozen=True, gc=False):
    feature_set: Annotated[int, U64]

    @property
    def features(self) -> list[str]:
        return feature_names(self.feature_set)

    def details(self) -> str:
        n = len(self.features)
        return f"0x{self.feature_set:016x} ({n} feature{'' if n == 1 else 's'})"


@ll_control(0x08, "LL_FEATURE_REQ")
class FeatureReq(_Features, frozen=True, gc=False, tag="ll_feature_req"):
    """LL_FEATURE_REQ (2.4.2.9): the central's FeatureSet."""


@ll_control(0x09, "LL_FEATURE_RSP")
class FeatureRsp(_Features, frozen=True, gc=False, tag="ll_feature_rsp"):
    """LL_FEATURE_RSP (2.4.2.10): the features both sides use (octet 0) and the sender's."""


@ll_control(0x0A, "LL_PAUSE_ENC_REQ")
class PauseEncReq(LlControlPdu, frozen=True, gc=False, tag="ll_pause_enc_req"):
    """LL_PAUSE_ENC_REQ (2.4.2.11), no CtrData."""


@ll_control(0x0B, "LL_PAUSE_ENC_RSP")
class PauseEncRsp(LlControlPdu, frozen=True, gc=False, tag="ll_pause_enc_rsp"):
    """LL_PAUSE_ENC_RSP (2.4.2.12), no CtrData."""


@ll_control(0x0C, "LL_VERSION_IND")
class VersionInd(LlControlPdu, frozen=True, gc=False, tag="ll_version_ind"):
    """LL_VERSION_IND (2.4.2.13): LL version, company identifier, implementation subversion."""

    vers_nr: Annotated[int, U8]
    comp_id: Annotated[int, U16]
    sub_vers_nr: Annotated[int, U16]

    @property
    def version(self) -> str:
        return LL_VERSIONS.get(self.vers_nr, f"version 0x{self.vers_nr:02x}")

    def details(self) -> str:
        company = company_text(self.comp_id)
        return f"{self.version} {company} subversion 0x{self.sub_vers_nr:04x}"


@ll_control(0x0D, "LL_REJECT_IND")
class RejectInd(LlControlPdu, frozen=True, gc=False, tag="ll_reject_ind"):
    """LL_REJECT_IND (2.4.2.14): a procedure refused, with the reason."""

    error_code: Annotated[int, U8]

    def details(self) -> str:
        return error_text(self.error_code)


@ll_control(0x0E, "LL_PERIPHERAL_FEATURE_REQ")
class PeripheralFeatureReq(_Features, frozen=True, gc=False, tag="ll_peripheral_feature_req"):
    """LL_PERIPHERAL_FEATURE_REQ (2.4.2.15): the peripheral's FeatureSet."""


class _ConnParam(_Timing, frozen=True, gc=False):
    interval_min: Annotated[int, U16]  # 1.25 ms
    interval_max: Annotated[int, U16]
    latency: Annotated[int, U16]
    timeout: Annotated[int, U16]  # 10 ms
    preferred_periodicity: Annotated[int, U8]
    reference_conn_event_count: Annotated[int, U16]
    offset0: Annotated[int, U16]  # 1.25 ms each; 0xFFFF: not valid
    offset1: Annotated[int, U16]
    offset2: Annotated[int, U16]
    offset3: Annotated[int, U16]
    offset4: Annotated[int, U16]
    offset5: Annotated[int, U16]

    def details(self) -> str:
        return (
            f"interval {self.interval_min * 1.25:g}..{self.ms('interval_max', 1.25)} latency "
            f"{self.latency} timeout {self.ms('timeout', 10)}"
        )


@ll_control(0x0F, "LL_CONNECTION_PARAM_REQ")
class ConnectionParamReq(_ConnParam, frozen=True, gc=False, tag="ll_connection_param_req"):
    """LL_CONNECTION_PARAM_REQ (2.4.2.16): connection parameters the sender asks for."""


@ll_control(0x10, "LL_CONNECTION_PARAM_RSP")
class ConnectionParamRsp(_ConnParam, frozen=True, gc=False, tag="ll_connection_param_rsp"):
    """LL_CONNECTION_PARAM_RSP (2.4.2.17): the peripheral's answer."""


@ll_control(0x11, "LL_REJECT_EXT_IND")
class RejectExtInd(LlControlPdu, frozen=True, gc=False, tag="ll_reject_ext_ind"):
    """LL_REJECT_EXT_IND (2.4.2.18): which opcode's procedure is refused, and why."""

    reject_opcode: Annotated[int, U8]
    error_code: Annotated[int, U8]

    def details(self) -> str:
        cls = CONTROL_PDUS.get(self.reject_opcode)
        rejected = cls.name if cls else f"opcode 0x{self.reject_opcode:02x}"
        return f"{rejected} {error_text(self.error_code)}"


@ll_control(0x12, "LL_PING_REQ")
class PingReq(LlControlPdu, frozen=True, gc=False, tag="ll_ping_req"):
    """LL_PING_REQ (2.4.2.19), no CtrData."""


@ll_control(0x13, "LL_PING_RSP")
class PingRsp(LlControlPdu, frozen=True, gc=False, tag="ll_ping_rsp"):
    """LL_PING_RSP (2.4.2.20), no CtrData."""


class _Length(LlControlPdu, frozen=True, gc=False):
    max_rx_octets: Annotated[int, U16]
    max_rx_time: Annotated[int, U16]  # us
    max_tx_octets: Annotated[int, U16]
    max_tx_time: Annotated[int, U16]

    def details(self) -> str:
        return (
            f"rx {self.max_rx_octets} bytes {self.max_rx_time} us, "
            f"tx {self.max_tx_octets} bytes {self.max_tx_time} us"
        )


@ll_control(0x14, "LL_LENGTH_REQ")
class LengthReq(_Length, frozen=True, gc=False, tag="ll_length_req"):
    """LL_LENGTH_REQ (2.4.2.21): the sender's maximum payload sizes and times."""


@ll_control(0x15, "LL_LENGTH_RSP")
class LengthRsp(_Length, frozen=True, gc=False, tag="ll_length_rsp"):
    """LL_LENGTH_RSP (2.4.2.21)."""


# -- PHY, CTE, sync transfer, clock accuracy (2.4.2.22-2.4.2.28) --------------------------


class _Phys(LlControlPdu, frozen=True, gc=False):
    tx_phys: Annotated[int, U8]
    rx_phys: Annotated[int, U8]

    def details(self) -> str:
        return f"tx {phy_names(self.tx_phys)} rx {phy_names(self.rx_phys)}"


@ll_control(0x16, "LL_PHY_REQ")
class PhyReq(_Phys, frozen=True, gc=False, tag="ll_phy_req"):
    """LL_PHY_REQ (2.4.2.22): the PHYs the sender prefers (bit 0 1M, 1 2M, 2 Coded)."""


@ll_control(0x17, "LL_PHY_RSP")
class PhyRsp(_Phys, frozen=True, gc=False, tag="ll_phy_rsp"):
    """LL_PHY_RSP (2.4.2.22)."""


@ll_control(0x18, "LL_PHY_UPDATE_IND")
class PhyUpdateInd(LlControlPdu, frozen=True, gc=False, tag="ll_phy_update_ind"):
    """LL_PHY_UPDATE_IND (2.4.2.23): the PHY in each direction from the instant (0: same)."""

    phy_c_to_p: Annotated[int, U8]
    phy_p_to_c: Annotated[int, U8]
    instant: Annotated[int, U16]

    def details(self) -> str:
        return (
            f"C->P {phy_names(self.phy_c_to_p)} P->C {phy_names(self.phy_p_to_c)} "
            f"instant {self.instant}"
        )


@ll_control(0x19, "LL_MIN_USED_CHANNELS_IND")
class MinUsedChannelsInd(LlControlPdu, frozen=True, gc=False, tag="ll_min_used_channels_ind"):
    """LL_MIN_USED_CHANNELS_IND (2.4.2.24): minimum used channels on the given PHYs."""

    phys: Annotated[int, U8]
    min_used_channels: Annotated[int, U8]


@ll_control(0x1A, "LL_CTE_REQ")
class CteReq(LlControlPdu, frozen=True, gc=False, tag="ll_cte_req"):
    """LL_CTE_REQ (2.4.2.25): MinCTELenReq (bits 0-4, 8 us units), RFU, CTETypeReq (6-7)."""

    cte_type_req: Annotated[int, U8]

    @property
    def min_cte_len(self) -> int:
        return self.cte_type_req & 0x1F

    @property
    def cte_type(self) -> int:
        return self.cte_type_req >> 6


@ll_control(0x1B, "LL_CTE_RSP")
class CteRsp(LlControlPdu, frozen=True, gc=False, tag="ll_cte_rsp"):
    """LL_CTE_RSP (2.4.2.26), no CtrData (the CTE follows the PDU)."""


class _PeriodicSync(LlControlPdu, frozen=True, gc=False):
    id: Annotated[int, U16]
    sync_info: Annotated[bytes, Fixed(18)]
    conn_event_count: Annotated[int, U16]
    last_pa_event_counter: Annotated[int, U16]
    sid_atype_sca: Annotated[int, U8]  # SID bits 0-3, AType 4, SCA 5-7
    phy: Annotated[int, U8]
    adv_a: Annotated[bytes, Fixed(6)]
    sync_conn_event_count: Annotated[int, U16]

    @property
    def sync(self) -> SyncInfo:
        return SyncInfo.from_bytes(self.sync_info)

    @property
    def advertiser(self) -> str:
        random = "random" if self.sid_atype_sca >> 4 & 1 else "public"
        return f"{address_text(self.adv_a)} ({random})"

    @property
    def sid(self) -> int:
        return self.sid_atype_sca & 0x0F

    def details(self) -> str:
        return f"id 0x{self.id:04x} AdvA {self.advertiser} SID {self.sid}"


@ll_control(0x1C, "LL_PERIODIC_SYNC_IND")
class PeriodicSyncInd(_PeriodicSync, frozen=True, gc=False, tag="ll_periodic_sync_ind"):
    """LL_PERIODIC_SYNC_IND (2.4.2.27): hands over a periodic advertising train."""


@ll_control(0x1D, "LL_CLOCK_ACCURACY_REQ")
class ClockAccuracyReq(LlControlPdu, frozen=True, gc=False, tag="ll_clock_accuracy_req"):
    """LL_CLOCK_ACCURACY_REQ (2.4.2.28): the sender's sleep clock accuracy."""

    sca: Annotated[int, U8]

    def details(self) -> str:
        low, high = SCA_PPM[self.sca] if self.sca < 8 else (-1, -1)
        return f"SCA {low}-{high} ppm" if low >= 0 else f"SCA 0x{self.sca:02x}"


@ll_control(0x1E, "LL_CLOCK_ACCURACY_RSP")
class ClockAccuracyRsp(ClockAccuracyReq, frozen=True, gc=False, tag="ll_clock_accuracy_rsp"):
    """LL_CLOCK_ACCURACY_RSP (2.4.2.28)."""


# -- connected isochronous streams (2.4.2.29-2.4.2.32) ----------------------------------


@ll_control(0x1F, "LL_CIS_REQ")
class CisReq(LlControlPdu, frozen=True, gc=False, tag="ll_cis_req"):
    """LL_CIS_REQ (2.4.2.29): the central proposes a CIS. Max_SDU fields keep their RFU
    and Framed bits (Framed: bit 15 of max_sdu_c_to_p); SDU intervals are 20 bits, us."""

    cig_id: Annotated[int, U8]
    cis_id: Annotated[int, U8]
    phy_c_to_p: Annotated[int, U8]
    phy_p_to_c: Annotated[int, U8]
    max_sdu_c_to_p: Annotated[int, U16]
    max_sdu_p_to_c: Annotated[int, U16]
    sdu_interval_c_to_p: Annotated[int, U24]
    sdu_interval_p_to_c: Annotated[int, U24]
    max_pdu_c_to_p: Annotated[int, U16]
    max_pdu_p_to_c: Annotated[int, U16]
    nse: Annotated[int, U8]
    sub_interval: Annotated[int, U24]
    bn: Annotated[int, U8]  # BN_C_To_P bits 0-3, BN_P_To_C bits 4-7
    ft_c_to_p: Annotated[int, U8]
    ft_p_to_c: Annotated[int, U8]
    iso_interval: Annotated[int, U16]  # 1.25 ms
    cis_offset_min: Annotated[int, U24]
    cis_offset_max: Annotated[int, U24]
    conn_event_count: Annotated[int, U16]

    @property
    def framed(self) -> bool:
        return bool(self.max_sdu_c_to_p >> 15)

    def details(self) -> str:
        return f"CIG {self.cig_id} CIS {self.cis_id} ISO interval {self.iso_interval * 1.25:g} ms"


@ll_control(0x20, "LL_CIS_RSP")
class CisRsp(LlControlPdu, frozen=True, gc=False, tag="ll_cis_rsp"):
    """LL_CIS_RSP (2.4.2.30): the peripheral's CIS offset range."""

    cis_offset_min: Annotated[int, U24]
    cis_offset_max: Annotated[int, U24]
    conn_event_count: Annotated[int, U16]


@ll_control(0x21, "LL_CIS_IND")
class CisInd(LlControlPdu, frozen=True, gc=False, tag="ll_cis_ind"):
    """LL_CIS_IND (2.4.2.31): the CIS access address, offset and sync delays (us)."""

    aa: Annotated[int, U32]
    cis_offset: Annotated[int, U24]
    cig_sync_delay: Annotated[int, U24]
    cis_sync_delay: Annotated[int, U24]
    conn_event_count: Annotated[int, U16]

    def details(self) -> str:
        return f"AA 0x{self.aa:08x} offset {self.cis_offset} us"


@ll_control(0x22, "LL_CIS_TERMINATE_IND")
class CisTerminateInd(LlControlPdu, frozen=True, gc=False, tag="ll_cis_terminate_ind"):
    """LL_CIS_TERMINATE_IND (2.4.2.32)."""

    cig_id: Annotated[int, U8]
    cis_id: Annotated[int, U8]
    error_code: Annotated[int, U8]

    def details(self) -> str:
        return f"CIG {self.cig_id} CIS {self.cis_id} {error_text(self.error_code)}"


# -- power control, subrating, channel classification (2.4.2.33-2.4.2.40) --------------


@ll_control(0x23, "LL_POWER_CONTROL_REQ")
class PowerControlReq(LlControlPdu, frozen=True, gc=False, tag="ll_power_control_req"):
    """LL_POWER_CONTROL_REQ (2.4.2.33): PHY (bit 0 1M, 1 2M, 2 Coded S=8, 3 Coded S=2),
    requested change and current power (dBm)."""

    phy: Annotated[int, U8]
    delta: Annotated[int, I8]
    tx_power: Annotated[int, I8]


@ll_control(0x24, "LL_POWER_CONTROL_RSP")
class PowerControlRsp(LlControlPdu, frozen=True, gc=False, tag="ll_power_control_rsp"):
    """LL_POWER_CONTROL_RSP (2.4.2.34): MIN (bit 0) and MAX (bit 1) flags, change,
    power, acceptable power reduction."""

    flags: Annotated[int, U8]
    delta: Annotated[int, I8]
    tx_power: Annotated[int, I8]
    apr: Annotated[int, U8]


@ll_control(0x25, "LL_POWER_CHANGE_IND")
class PowerChangeInd(LlControlPdu, frozen=True, gc=False, tag="ll_power_change_ind"):
    """LL_POWER_CHANGE_IND (2.4.2.35): the sender changed its power on these PHYs."""

    phy: Annotated[int, U8]
    flags: Annotated[int, U8]
    delta: Annotated[int, I8]
    tx_power: Annotated[int, I8]


@ll_control(0x26, "LL_SUBRATE_REQ")
class SubrateReq(LlControlPdu, frozen=True, gc=False, tag="ll_subrate_req"):
    """LL_SUBRATE_REQ (2.4.2.36): the subrating the peripheral asks for."""

    subrate_factor_min: Annotated[int, U16]
    subrate_factor_max: Annotated[int, U16]
    max_latency: Annotated[int, U16]
    continuation_number: Annotated[int, U16]
    timeout: Annotated[int, U16]  # 10 ms


@ll_control(0x27, "LL_SUBRATE_IND")
class SubrateInd(LlControlPdu, frozen=True, gc=False, tag="ll_subrate_ind"):
    """LL_SUBRATE_IND (2.4.2.37): the subrating the central decides."""

    subrate_factor: Annotated[int, U16]
    subrate_base_event: Annotated[int, U16]
    latency: Annotated[int, U16]
    continuation_number: Annotated[int, U16]
    timeout: Annotated[int, U16]  # 10 ms


@ll_control(0x28, "LL_CHANNEL_REPORTING_IND")
class ChannelReportingInd(LlControlPdu, frozen=True, gc=False, tag="ll_channel_reporting_ind"):
    """LL_CHANNEL_REPORTING_IND (2.4.2.38): start/stop channel classification reports."""

    enable: Annotated[int, U8]
    min_spacing: Annotated[int, U8]  # 200 ms
    max_delay: Annotated[int, U8]  # 200 ms


@ll_control(0x29, "LL_CHANNEL_STATUS_IND")
class ChannelStatusInd(LlControlPdu, frozen=True, gc=False, tag="ll_channel_status_ind"):
    """LL_CHANNEL_STATUS_IND (2.4.2.39): 2 bits per data channel 0-36 (0 unknown, 1 good,
    3 bad)."""

    channel_classification: Annotated[bytes, Fixed(10)]

    @property
    def classes(self) -> list[int]:
        bits = int.from_bytes(self.channel_classification, "little")
        return [bits >> (2 * i) & 3 for i in range(37)]

    def details(self) -> str:
        bad = [i for i, c in enumerate(self.classes) if c == 3]
        return f"bad channels {bad}"


@ll_control(0x2A, "LL_PERIODIC_SYNC_WR_IND")
class PeriodicSyncWrInd(_PeriodicSync, frozen=True, gc=False, tag="ll_periodic_sync_wr_ind"):
    """LL_PERIODIC_SYNC_WR_IND (2.4.2.40): LL_PERIODIC_SYNC_IND for a periodic
    advertising train with responses, with its subevent layout."""

    num_subevents: Annotated[int, U8]
    subevent_interval: Annotated[int, U8]  # 1.25 ms
    response_slot_delay: Annotated[int, U8]  # 1.25 ms
    response_slot_spacing: Annotated[int, U8]  # 0.125 ms
