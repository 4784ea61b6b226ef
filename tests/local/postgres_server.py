"""A throw-away PostgreSQL server for tests: its own cluster in a temporary folder, on 127.0.0.1
and a free port, started here and stopped by its pid. Uses the server binaries of the machine
(Debian's postgresql package); initdb refuses to run as root, so as root it runs as ``postgres``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def binaries() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres(folder: Path, port: int) -> Iterator[str]:
    """Yields ``host:port``; the superuser is ``wharf`` with trust authentication (loopback only)."""
    bin_dir = binaries()
    assert bin_dir is not None
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        for parent in folder.parents:  # the server user must reach its folder
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o711)
    subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "wharf", "-A", "trust",
                                    "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
    server = subprocess.Popen(_as_server_user([
        str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGINT)  # "fast shutdown"
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
