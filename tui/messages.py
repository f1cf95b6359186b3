"""What the parts of the TUI tell each other. The ingest worker posts `ModelChanged` and
`SourcePaused` to the App (from its thread, at most one of each waiting); a panel posts the
others, which bubble up to the App, which routes them to the panels they concern."""

from __future__ import annotations

from textual.message import Message


class ModelChanged(Message):
    """The model published new rows, or its analysis ended."""


class SourcePaused(Message):
    """A live source had nothing new for a moment: its state and news may have changed."""


class GoToFrame(Message):
    """Show this frame in the Packets panel."""

    def __init__(self, frame: int) -> None:
        super().__init__()
        self.frame = frame


class ShowInFlow(Message):
    """Put the Flow panel's cursor on this frame's ATT PDU (or the next one)."""

    def __init__(self, frame: int) -> None:
        super().__init__()
        self.frame = frame


class FocusConnection(Message):
    """Narrow every panel to this connection (None: all of them)."""

    def __init__(self, connection: str | None) -> None:
        super().__init__()
        self.connection = connection
