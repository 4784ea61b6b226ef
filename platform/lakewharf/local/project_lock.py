"""One run per project: ``wharf run`` and ``wharf local up`` hold the project exclusively,
``wharf query`` shares it with other readers.

The lock is taken before anything is touched — build/, the sources' copies, the lake or the
warehouse — so a second command refuses at once, naming the holder, instead of both regenerating
build/ and seeding in parallel until one trips over the warehouse's file lock. It is an advisory
``flock`` on ``.wharf/wharf.lock``: the operating system drops it when the holder exits, even
after ``kill -9``, so a crashed run never leaves the project locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lakewharf.errors import WharfError


class ProjectBusy(WharfError):
    """Another wharf command holds the project."""


@contextmanager
def project_lock(state: Path, command: str, *, shared: bool = False) -> Iterator[None]:
    state.mkdir(parents=True, exist_ok=True)
    path = state / "wharf.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text(encoding="utf-8", errors="replace").strip() or "another wharf command"
            raise ProjectBusy(f"{holder} is using this project; wharf {command} did not start",
                              "wait for it to finish (or stop it), then run the command again") from None
        if not shared:
            os.ftruncate(fd, 0)
            os.write(fd, f"wharf {command} (pid {os.getpid()})\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
