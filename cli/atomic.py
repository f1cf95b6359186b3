"""Writing an output file so that nothing half-written passes for complete: the data goes
to a temporary file beside the target, renamed over it only when everything succeeded."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def error_text(exc: BaseException) -> str:
    """An OSError's reason without its repr noise ("No such file or directory")."""
    return str(getattr(exc, "strerror", None) or exc)


@contextlib.contextmanager
def replaced_on_success(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path in `target`'s folder; when the block ends normally the file there
    becomes `target` (with the permissions of any new file), otherwise it is removed, also
    on Ctrl-C. Creating it raises OSError (a missing folder, no permission)."""
    out = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    done = False
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 is not what a new file gets
        os.replace(tmp, out)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink()
