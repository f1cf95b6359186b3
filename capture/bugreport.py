"""Phone reports straight in: the zip `adb bugreport` writes, the same unzipped into a
folder, its main text file alone, and an iOS sysdiagnose archive (.tar.gz).

An Android bug report holds the phone's HCI snoop logs when the developer option was on
(under FS/data/misc/bluetooth/logs/ as btsnoop_hci.log, the rotated btsnoop_hci.log.last,
or where the maker put them, some with a .cfa name); a sysdiagnose holds PacketLogger
files (logs/Bluetooth/*.pklg) when the Bluetooth logging profile was installed. Those
are read, oldest first, as one capture. Without them, the btsnooz ring buffer in the
dumpsys text is read instead (capture.btsnooz), and said to cut ACL payloads.
"""

from __future__ import annotations

import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, BinaryIO, cast

import msgspec

from attscope.capture import linktypes as lt
from attscope.capture.btsnoop import EPOCH_DELTA_US, BtsnoopReader
from attscope.capture.btsnoop import MAGIC as BTSNOOP_MAGIC
from attscope.capture.btsnooz import BEGIN, Btsnooz, find_btsnooz
from attscope.capture.errors import CaptureError, CaptureWarning
from attscope.capture.frame import Frame
from attscope.capture.packetlogger import PacketLoggerReader, byte_order
from attscope.capture.packetlogger_types import LINKTYPE as PACKETLOGGER
from attscope.capture.reader import CaptureReader
from attscope.capture.stream_input import ForwardStream

ZIP_MAGIC = b"PK\x03\x04"
MAX_TEXT = 512 << 20  # a bug report's text is tens of MB; past this it is not searched
_CHUNK = 1 << 20
# the names snoop logs go by: btsnoop_hci.log, .log.last, btsnoop_hci_*.log, *.cfa
_SNOOP_NAME = re.compile(r"(btsnoop[^/]*\.(log|cfa)(\.last|\.\d+)?|\.cfa|\.pklg)$", re.IGNORECASE)
_PKLG_HEAD = 4096  # PacketLogger has no header: its first records tell it
_FIRST_RECORD = struct.Struct(">IIIIq")


def is_bugreport_text(path: Path) -> bool:
    """Whether a file holds a btsnooz section (a bug report's text, a dumpsys output)."""
    try:
        with open(path, "rb") as f:
            # the marker is looked for a chunk at a time: a big file of another kind is
            # not held in memory; the section itself is read from the marker on
            tail = b""
            for offset in range(0, MAX_TEXT, _CHUNK):
                chunk = f.read(_CHUNK)
                if not chunk:
                    return False
                window = tail + chunk
                found = window.find(BEGIN)
                if found >= 0:
                    start = offset - len(tail) + found
                    f.seek(start)
                    return find_btsnooz(f.read(MAX_TEXT - start)) is not None
                tail = window[-len(BEGIN) :]
            return False
    except OSError:
        return False


def is_tar(path: Path) -> bool:
    """Whether a file is a tar archive, compressed or not (a sysdiagnose)."""
    try:
        return tarfile.is_tarfile(path)
    except (OSError, EOFError, zlib.error, tarfile.TarError):  # a damaged compressed file
        return False


class _Log:
    """One log inside the report: where it is, its kind and when it starts."""

    __slots__ = ("first_us", "name", "pklg")

    def __init__(self, name: str, first_us: int, pklg: bool) -> None:
        self.name, self.first_us, self.pklg = name, first_us, pklg


class BugreportReader(CaptureReader):
    format = "android bug report"

    def __init__(self, path: Path, log: str | None = None) -> None:
        """`log`: read only the log of that name (or path inside the report), or
        "btsnooz" for the dumpsys buffer even when snoop logs are there."""
        super().__init__(path)
        self._zip = path.is_file() and _starts_with(path, ZIP_MAGIC)
        self._tar = not self._zip and path.is_file() and is_tar(path)
        self._logs = self._find_logs()
        if log is not None:
            self._logs = self._chosen(log)
        self.linktypes = [lt.BTSNOOP_H4]
        if self._logs:
            names = ", ".join(f"{log.name}" for log in self._logs)
            kind = "PacketLogger files" if self._logs[0].pklg else "snoop logs"
            self.detail = f"{kind} read oldest first: {names}"
            if self._logs[0].pklg:
                self.format, self.linktypes = "archive of PacketLogger files", [PACKETLOGGER]
            return
        if self._tar:
            raise CaptureError(f"{path}: an archive without PacketLogger files (on an "
                               "iPhone, install Apple's Bluetooth logging profile, "
                               "reproduce, and take the sysdiagnose again)")  # fmt: skip
        self._text = self._find_text()
        if self._text is None:
            raise CaptureError(f"{path}: an Android bug report without a snoop log or a "
                               "btsnooz section: turn on the Bluetooth HCI snoop log in "
                               "the developer options, reproduce, and take the report "
                               "again")  # fmt: skip
        self.detail = f"btsnooz section of {self._text}: ACL payloads are cut by the phone"

    def _chosen(self, log: str) -> list[_Log]:
        if log == "btsnooz":
            return []
        wanted = log.strip("/")
        chosen = [g for g in self._logs if g.name == wanted or g.name.endswith("/" + wanted)]
        if not chosen:
            held = ", ".join(g.name for g in self._logs) or "no snoop log"
            raise CaptureError(f"{self.path}: no log {log!r} in it; it holds: {held}, and "
                               "--log btsnooz reads its btsnooz section")  # fmt: skip
        return chosen

    # -- what the report holds ------------------------------------------------------------

    def _members(self) -> list[str]:
        if self._zip:
            with zipfile.ZipFile(self.path) as archive:
                return [i.filename for i in archive.infolist() if not i.is_dir()]
        if self._tar:
            with tarfile.open(self.path) as archive:
                return [m.name for m in archive.getmembers() if m.isfile()]
        if self.path.is_dir():
            return [str(p.relative_to(self.path)) for p in sorted(self.path.rglob("*"))
                    if p.is_file()]  # fmt: skip
        return []

    def _open_member(self, name: str, stack: ExitStack) -> IO[bytes]:
        if self._zip:
            archive = stack.enter_context(zipfile.ZipFile(self.path))
            return stack.enter_context(archive.open(name))
        if self._tar:
            tar = stack.enter_context(tarfile.open(self.path))  # noqa: SIM115 (the stack closes it)
            member = tar.extractfile(name)
            if member is None:
                raise CaptureError(f"{self.path}: {name} cannot be read from the archive")
            return stack.enter_context(member)
        return stack.enter_context(open(self.path / name, "rb"))

    def _find_logs(self) -> list[_Log]:
        try:
            members = self._members()
        except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
            raise CaptureError(f"{self.path}: not a readable archive ({exc})") from None
        logs = []
        for name in members:
            if not _SNOOP_NAME.search(name):
                continue
            with ExitStack() as stack:
                head = self._open_member(name, stack).read(_PKLG_HEAD)
            if head.startswith(BTSNOOP_MAGIC):
                first = (_FIRST_RECORD.unpack_from(head, 16)[4] - EPOCH_DELTA_US
                         if len(head) >= 16 + _FIRST_RECORD.size else 0)  # fmt: skip
                logs.append(_Log(name, first, pklg=False))
            elif (order := byte_order(head)) is not None:
                secs, usecs = struct.unpack_from(order + "II", head, 4)
                logs.append(_Log(name, secs * 1_000_000 + usecs, pklg=True))
        # one kind, btsnoop before PacketLogger: the two do not make one capture
        kind = [log for log in logs if not log.pklg] or logs
        return sorted(kind, key=lambda log: log.first_us)

    def _find_text(self) -> str | None:
        """The member (or the file itself) holding the btsnooz section."""
        if not (self._zip or self._tar) and self.path.is_file():
            return self.path.name if is_bugreport_text(self.path) else None
        texts = [n for n in self._members() if n.lower().endswith(".txt")]
        for name in sorted(texts, key=lambda n: n.count("/")):  # the main text first
            with ExitStack() as stack:
                if find_btsnooz(self._open_member(name, stack).read(MAX_TEXT)) is not None:
                    return name
        return None

    # -- frames -----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Frame]:
        self.warnings = []
        if self._logs:
            yield from self._snoop_logs()
            return
        assert self._text is not None
        with ExitStack() as stack:
            if self._zip:
                text = self._open_member(self._text, stack).read(MAX_TEXT)
            else:
                text = stack.enter_context(open(self.path, "rb")).read(MAX_TEXT)
        blob = find_btsnooz(text)
        assert blob is not None
        snooz = Btsnooz.from_base64(blob, f"{self.path}: {self._text}")
        yield from snooz.read()
        self.warnings.extend(snooz.warnings)

    def _snoop_logs(self) -> Iterator[Frame]:
        index = 0
        for log in self._logs:
            with ExitStack() as stack:
                raw = self._open_member(log.name, stack)
                head = raw.read(_PKLG_HEAD if log.pklg else 16)
                stream = ForwardStream(cast(BinaryIO, raw), head, Path(log.name))
                reader: CaptureReader
                try:
                    if log.pklg:
                        reader = PacketLoggerReader(Path(log.name), head, stream)
                    else:
                        reader = BtsnoopReader(Path(log.name), head, stream)
                except CaptureError as exc:
                    self.warnings.append(CaptureWarning(None, str(exc)))
                    continue
                for frame in reader:
                    index += 1
                    yield (
                        frame
                        if frame.index == index
                        else msgspec.structs.replace(frame, index=index)
                    )
                self.warnings.extend(
                    CaptureWarning(w.offset, f"{log.name}: {w.message}") for w in reader.warnings
                )


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False
