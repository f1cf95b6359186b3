"""Dissector: HCI, link layer, L2CAP, ATT and SMP decoding and analysis (no I/O)."""
