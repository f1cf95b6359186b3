"""Launcher that runs one command and reports its wall time and rusage: `spawnwait.py EXE ARG…`.

It exists because of a Linux detail: at exec, the kernel folds the high-water RSS of the
address space being replaced into the process's ru_maxrss. A command spawned straight from
bench.py would therefore never report less than bench.py's own peak (about 16 MiB with its
imports, close to attscope's whole footprint). Spawned from this launcher instead, the command
inherits only this process's peak, which stays near a bare interpreter's (about 8 MiB, below
any Python program's own), because the launcher is started with `python -S -I` and imports
nothing beyond os, sys and time. The kernel keeps the launcher's own inherited ru_maxrss, but
that is per process and does not pass to a new child; only the address space's peak does.

Prints one line: wall seconds, user+system CPU seconds, ru_maxrss KiB, exit code, and this
launcher's own peak RSS (VmHWM, KiB), the floor under the command's ru_maxrss.
The command's stdin and stdout are /dev/null; its stderr is this launcher's.
"""

import os
import sys
import time


def own_hwm_kib() -> int:
    """Peak RSS of this address space, the part that a child inherits at exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    argv = sys.argv[1:]
    floor = own_hwm_kib()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
    ]
    start = time.perf_counter()
    try:
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    except OSError as exc:
        print(f"cannot run {argv[0]}: {exc}", file=sys.stderr)
        return 127
    _pid, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"{wall:.6f} {cpu:.6f} {usage.ru_maxrss} {code} {floor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
