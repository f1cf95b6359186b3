"""Text that came from outside (a file's name, a device's name in a capture) made safe to
print: nothing in it can drive the terminal or reorder what is shown."""

from __future__ import annotations


def printable(text: str) -> str:
    """Every character Python does not call printable (C0 and C1 controls, DEL, the
    bidirectional and other format characters such as U+202E, line and paragraph
    separators, unassigned code points) as its escape: `\\x1b`, `\\u202e`."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def printable_lines(text: str) -> str:
    """`printable` for each line of a message, its line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))
