"""Start and stop Azurite (the Azure Storage emulator from npm) as a tracked local process.

Only the Blob service is started: it is what lakewharf uses (the DFS API does not exist in
Azurite). The process is recorded in a pid file and stopped by pid; telemetry is off.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lakewharf.errors import WharfError
from lakewharf.local.settings import LocalSettings


class AzuriteError(WharfError, RuntimeError):
    """A user-facing problem with the emulator (not installed, port taken, did not start)."""


@dataclass(frozen=True)
class AzuriteStatus:
    running: bool
    pid: int | None
    endpoint: str


def executable(root: Path) -> Path:
    return root / "node_modules" / ".bin" / "azurite-blob"


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _read_pid(settings: LocalSettings) -> int | None:
    try:
        return int(settings.azurite_pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def status(settings: LocalSettings) -> AzuriteStatus:
    pid = _read_pid(settings)
    alive = pid is not None and _pid_alive(pid)
    return AzuriteStatus(
        alive and port_open(settings.azurite_host, settings.azurite_port),
        pid if alive else None,
        settings.blob_endpoint,
    )


def start(settings: LocalSettings, *, timeout: float = 20.0) -> AzuriteStatus:
    current = status(settings)
    if current.running:
        return current
    binary = executable(settings.root)
    if not binary.exists():
        raise AzuriteError(f"Azurite is not installed ({binary} is missing): run `make setup` (npm install)")
    if port_open(settings.azurite_host, settings.azurite_port):
        raise AzuriteError(
            f"port {settings.azurite_port} on {settings.azurite_host} is already in use by another "
            "process: stop it, or choose another port with WHARF_AZURITE_PORT"
        )
    settings.state.mkdir(parents=True, exist_ok=True)
    args = [
        str(binary),
        "--blobHost",
        settings.azurite_host,
        "--blobPort",
        str(settings.azurite_port),
        "--skipApiVersionCheck",
        "--loose",
        "--disableTelemetry",
        "--silent",
    ]
    if settings.azurite_in_memory:
        args.append("--inMemoryPersistence")
    else:
        settings.azurite_folder.mkdir(parents=True, exist_ok=True)
        args += ["--location", str(settings.azurite_folder)]
    log = (settings.state / "azurite.log").open("ab")
    process = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )
    settings.azurite_pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            settings.azurite_pid_file.unlink(missing_ok=True)
            raise AzuriteError(f"Azurite exited with status {process.returncode}; see {settings.state / 'azurite.log'}")
        if port_open(settings.azurite_host, settings.azurite_port):
            return AzuriteStatus(True, process.pid, settings.blob_endpoint)
        time.sleep(0.1)
    stop(settings)
    raise AzuriteError(f"Azurite did not open port {settings.azurite_port} within {timeout:.0f} s")


def stop(settings: LocalSettings, *, timeout: float = 10.0) -> bool:
    """Stop the recorded Azurite process; True if one was running."""
    pid = _read_pid(settings)
    settings.azurite_pid_file.unlink(missing_ok=True)
    if pid is None or not _pid_alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True
