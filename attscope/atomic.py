"""Writing an output file so that nothing half-written passes for complete: the data goes
to a temporary file beside the target, renamed over it only when everything succeeded;
what is no regular file (a FIFO, a device, /dev/stdout) is written as it is."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def error_text(exc: BaseException) -> str:
    """An OSError's reason without its repr noise ("No such file or directory")."""
    return str(getattr(exc, "strerror", None) or exc)


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (the same path, a symlink to it, a hard link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): they cannot be one file
        return False


@contextlib.contextmanager
def replaced_on_success(
    target: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """Where to write `target` so that nothing half-written passes for it.

    A regular file (or a new one) is written as a temporary file in its folder, which
    becomes `target` when the block ends normally, with the permissions the file had (a
    new one gets what the umask gives); otherwise it is removed, also on Ctrl-C, SIGTERM
    and SIGHUP (see `exit_on_signals`). A symlink's target is written, the link kept. A
    FIFO, a device or /dev/stdout is written directly: there is nothing to replace.
    Creating the temporary file raises OSError (a missing folder, no permission), and so
    does a `target` that is one of the `inputs` being read (shutil.SameFileError): an
    output never replaces what it is made from. Temporary files left by a killed run
    (SIGKILL) into the same folder are removed first."""
    out = Path(target)
    for source in inputs:
        if _same_file(source, out):
            raise shutil.SameFileError(
                f"is the same file as the input {source}; not overwriting it"
            )
    if out.exists() and not out.is_file():  # a FIFO, a device: written as it is
        yield out
        return
    if out.is_symlink():
        out = Path(os.path.realpath(out))
    mode = stat.S_IMODE(out.stat().st_mode) if out.exists() else 0o666 & ~_umask()
    prefix = f".{out.name}.{TEMP_MARK}"
    _remove_leftovers(out.parent, prefix)
    fd, name = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    done = False
    try:
        yield tmp
        os.chmod(tmp, mode)  # mkstemp's 0600 is not what the file had or gets
        os.replace(tmp, out)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink()


TEMP_MARK = "attscope-partial-"  # temporary outputs: .NAME.attscope-partial-PID-XXXX


def _remove_leftovers(folder: Path, prefix: str) -> None:
    """Temporary outputs whose process is gone (it was killed with SIGKILL)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not entry.name.startswith(prefix):
                continue
            pid = entry.name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class Stopped(SystemExit):
    """A signal asked the command to stop; it exits 128 + the signal's number."""


@contextlib.contextmanager
def exit_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the command as an exception would (exit 143 or 129), so
    that what it was writing is removed instead of left half-written."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(128 + signum)

    wanted = (signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, stop) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
