"""What the command line says on standard error: one line per message, made printable,
since messages name files and carry text from captures."""

from __future__ import annotations

import sys

from attscope.capture.printable import printable_lines


def say(message: str) -> None:
    print(printable_lines(message), file=sys.stderr, flush=True)
