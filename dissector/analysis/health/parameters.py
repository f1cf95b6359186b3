"""What a link negotiated, as it changes: data length and PHY each way, channel selection
algorithm, channel map, encryption and key size; and what they mean for a full ATT PDU.
Interval, peripheral latency and supervision timeout stay with the connection tracker
(`Connection.parameters`), which has always followed them.

Values come only from what the capture shows. The Core defaults (27 octets and 328 us each
way, LE 1M) hold only for a link seen from its start, until a procedure changes them."""

from __future__ import annotations

from math import ceil
from typing import Any

from attscope.dissector.analysis.analysis_records import (
    CENTRAL,
    LOCAL,
    OTHER_SIDE,
    PERIPHERAL,
    REMOTE,
)
from attscope.dissector.analysis.health.records import DataLength, LinkParameters
from attscope.dissector.decoding import hci_events as ev
from attscope.dissector.decoding import ll_control as llc
from attscope.dissector.decoding.hci_names import PHYS
from attscope.dissector.decoding.ll_adv import ConnectInd, used_channels

DEFAULT_OCTETS = 27  # Vol 6 Part B 4.5.10
DEFAULT_TIME_US = 328
L2CAP_HEADER = 4  # Length and CID (Vol 3 Part A 3.1)
ATT_NOTIFY_HEADER = 3  # opcode and handle (Vol 3 Part F 3.4.7.1)
# PHY_UPDATE_IND and LL_PHY_REQ bit -> name (Vol 6 Part B 2.4.2.22); 0: unchanged
PHY_BIT = {1: "LE 1M", 2: "LE 2M", 4: "LE Coded"}
_OTHER: dict[str, str] = {str(k): str(v) for k, v in OTHER_SIDE.items()}  # any text as key


class ParameterState:
    """One link's negotiated parameters (not its timing, see the module's text)."""

    __slots__ = ("channel_map", "csa", "encrypted", "key_size", "lengths", "offers", "phy")

    def __init__(self) -> None:
        self.csa: int | None = None
        self.channel_map: bytes | None = None
        self.phy: dict[str, str] = {}
        # air: each side's LL_LENGTH_REQ/RSP offer (max TX octets, time, max RX octets, time)
        self.offers: dict[str, tuple[int, int, int, int]] = {}
        self.lengths: dict[str, DataLength] = {}
        self.encrypted: bool | None = None
        self.key_size: int | None = None

    # -- air ------------------------------------------------------------------------------

    def connect_ind(self, pdu: ConnectInd, advertiser_ch_sel: bool | None, primary: bool) -> None:
        """A link seen from its CONNECT_IND: its map, its algorithm (#2 only when both the
        CONNECT_IND and the advertising PDU it answers set ChSel, 4.5.8.1) and defaults."""
        self.channel_map = pdu.ll_data.chm
        if not pdu.ch_sel or advertiser_ch_sel is False:
            self.csa = 1
        elif advertiser_ch_sel:
            self.csa = 2
        if primary:  # a legacy CONNECT_IND is on LE 1M, and the link starts on it
            self.phy = {CENTRAL: "LE 1M", PERIPHERAL: "LE 1M"}
        default = DataLength(DEFAULT_OCTETS, DEFAULT_TIME_US)
        self.lengths = {CENTRAL: default, PERIPHERAL: default}

    def control(self, pdu: Any, sender: str) -> str | None:
        """An LL control PDU from `sender`: what changed, in words, or None."""
        if isinstance(pdu, llc.LengthReq | llc.LengthRsp):
            self.offers[sender] = (pdu.max_tx_octets, pdu.max_tx_time, pdu.max_rx_octets,
                                   pdu.max_rx_time)  # fmt: skip
            if isinstance(pdu, llc.LengthRsp):
                return self._effective_lengths()
        elif isinstance(pdu, llc.PhyUpdateInd):
            changed = []
            for side, bits in ((CENTRAL, pdu.phy_c_to_p), (PERIPHERAL, pdu.phy_p_to_c)):
                name = PHY_BIT.get(bits)
                if name is not None:
                    self.phy[side] = name
                    changed.append(f"{side} sends on {name}")
            return ", ".join(changed) or None
        elif isinstance(pdu, llc.ChannelMapInd):
            self.channel_map = pdu.chm
        return None

    def _effective_lengths(self) -> str | None:
        """Both sides' offers known: each direction's effective maximum (4.5.10)."""
        c, p = self.offers.get(CENTRAL), self.offers.get(PERIPHERAL)
        if c is None or p is None:
            return None
        self.lengths = {
            CENTRAL: DataLength(min(c[0], p[2]), min(c[1], p[3])),
            PERIPHERAL: DataLength(min(p[0], c[2]), min(p[1], c[3])),
        }
        return ", ".join(
            f"{side} sends up to {d.max_octets} octets ({d.max_time_us} us)"
            for side, d in self.lengths.items()
        )

    # -- HCI ------------------------------------------------------------------------------

    def hci_event(self, event: Any) -> str | None:
        """An HCI event about the link: what changed, in words, or None."""
        if isinstance(event, ev.LeDataLengthChange):
            self.lengths = {
                LOCAL: DataLength(event.max_tx_octets, event.max_tx_time),
                REMOTE: DataLength(event.max_rx_octets, event.max_rx_time),
            }
        elif isinstance(event, ev.LePhyUpdateComplete) and event.status == 0:
            self.phy = {LOCAL: PHYS.get(event.tx_phy, f"PHY {event.tx_phy}"),
                        REMOTE: PHYS.get(event.rx_phy, f"PHY {event.rx_phy}")}  # fmt: skip
        elif isinstance(event, ev.LeChannelSelectionAlgorithm) and event.algorithm in (0, 1):
            self.csa = event.algorithm + 1
            return f"channel selection algorithm #{self.csa}"
        elif isinstance(event, ev.EncryptionChangeV2) and event.status == 0:
            self.encrypted = bool(event.encryption_enabled)
            if self.encrypted:
                self.key_size = event.key_size
        elif isinstance(event, ev.EncryptionChange) and event.status == 0:
            self.encrypted = bool(event.encryption_enabled)
        return None

    def record(self, timing: dict[str, Any], mtu: int | None, mtu_known: bool) -> LinkParameters:
        """The parameters now; `timing` is the connection's interval, latency and timeout,
        `mtu` the largest ATT_MTU of its bearers (`mtu_known`: proven, not only a bound)."""
        chm = self.channel_map
        return LinkParameters(
            interval_ms=timing.get("interval_ms"),
            peripheral_latency=timing.get("latency"),
            supervision_timeout_ms=timing.get("supervision_timeout_ms"),
            channel_selection=self.csa,
            used_channels=len(used_channels(chm)) if chm is not None else None,
            channel_map=chm.hex() if chm is not None else None,
            phy=dict(self.phy),
            data_length=dict(self.lengths),
            encrypted=self.encrypted,
            key_size=self.key_size,
            consequences=consequences(self.lengths, mtu, mtu_known),
        )


def ll_pdus(att_pdu: int, octets: int) -> int:
    """LL data PDUs that carry one ATT PDU of `att_pdu` bytes at `octets` per PDU."""
    return ceil((att_pdu + L2CAP_HEADER) / octets)


def consequences(
    lengths: dict[str, DataLength], mtu: int | None, mtu_known: bool
) -> tuple[str, ...]:
    """What the data length means for the fullest notification the ATT_MTU allows."""
    if mtu is None or not lengths:
        return ()
    value = mtu - ATT_NOTIFY_HEADER
    ways = []
    for side, length in lengths.items():
        count = ll_pdus(mtu, length.max_octets)
        other = _OTHER.get(side, "?")
        ways.append(f"{count} LL PDU{'s' if count != 1 else ''} {side}->{other} "
                    f"at {length.max_octets} octets")  # fmt: skip
    bound = "" if mtu_known else " at least"
    return (f"a {value}-byte notification (ATT_MTU{bound} {mtu}) takes " + ", ".join(ways),)
