"""`--log NAME`: which log of a bug report or an archive holding several to read."""

from __future__ import annotations

import argparse

LOG_HELP = (
    "in a bug report or an archive holding several logs, read this one (its name, or its "
    "path inside: info names them); 'btsnooz' reads the dumpsys btsnooz buffer"
)


def add_log_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", metavar="NAME", help=LOG_HELP)
