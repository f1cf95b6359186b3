"""attscope: a Bluetooth LE capture analyzer and ATT dissector."""

__version__ = "0.1.0"
