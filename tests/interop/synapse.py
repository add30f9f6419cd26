"""A real Synapse (from PyPI) on loopback, for interop tests.

Synapse is installed once into a cache venv (binary wheels only), configured with SQLite, one
client listener on 127.0.0.1 at a port the test picks, no federation and generous rate
limits, and started with the appservice registration the test wrote.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from matrix_appservice import load_registration

from tests.interop.recorder import RecordingAppservice

SYNAPSE_VERSION = "1.163.2"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "matrix-appservice-spec"
VENV = CACHE / f"synapse-{SYNAPSE_VERSION}"
SERVER_NAME = "localhost"
SHARED_SECRET = "interop-shared-secret-4c1d"
"""For registering normal users through the admin API (a fixed test value)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install() -> Path:
    """The venv's python, installing Synapse first when needed (about 25 s, once)."""
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--only-binary", "matrix-synapse",
             f"matrix-synapse=={SYNAPSE_VERSION}"],
            check=True, timeout=900,
        )  # fmt: skip
        marker.write_text(SYNAPSE_VERSION)
    return python


_RATE = "{per_second: 10000, burst_count: 10000}"
_LIMITERS = [
    "rc_message", "rc_registration", "rc_room_creation", "rc_joins_per_room", "rc_profile",
    "rc_third_party_invite", "rc_admin_redaction", "rc_key_requests",
]  # fmt: skip


def _overrides(workdir: Path, port: int, registration: Path, extra: str = "") -> str:
    limits = "\n".join(f"{name}: {_RATE}" for name in _LIMITERS)
    return f"""\
server_name: "{SERVER_NAME}"
public_baseurl: "http://127.0.0.1:{port}/"
pid_file: "{workdir}/homeserver.pid"
listeners:
  - {{port: {port}, bind_addresses: ["127.0.0.1"], type: http, tls: false,
     resources: [{{names: [client], compress: false}}]}}
database: {{name: sqlite3, args: {{database: "{workdir}/homeserver.db"}}}}
media_store_path: "{workdir}/media"
enable_registration: false
registration_shared_secret: "{SHARED_SECRET}"
app_service_config_files: ["{registration}"]
report_stats: false
enable_metrics: false
trusted_key_servers: []
suppress_key_server_warning: true
url_preview_enabled: false
federation_domain_whitelist: []
rc_login:
  address: {_RATE}
  account: {_RATE}
  failed_attempts: {_RATE}
rc_joins:
  local: {_RATE}
  remote: {_RATE}
rc_invites:
  per_room: {_RATE}
  per_user: {_RATE}
  per_issuer: {_RATE}
{limits}
{extra or "presence: {enabled: false}"}
"""


@dataclass
class Synapse:
    process: subprocess.Popen[bytes]
    base_url: str
    workdir: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        out = (self.workdir / "synapse.out").read_text(errors="replace").splitlines()
        return "\n".join(out[-lines:])


def start(workdir: Path, registration: Path, timeout: float = 90, extra: str = "") -> Synapse:
    """Synapse on a free loopback port. ``extra`` is more configuration (YAML) that takes
    the place of the default ``presence: {enabled: false}``."""
    python = install()
    port = free_port()
    config = workdir / "homeserver.yaml"
    subprocess.run(
        [str(python), "-m", "synapse.app.homeserver", "--server-name", SERVER_NAME,
         "--config-path", str(config), "--config-directory", str(workdir),
         "--data-directory", str(workdir), "--generate-config", "--report-stats=no"],
        check=True, capture_output=True, cwd=workdir, timeout=120,
    )  # fmt: skip
    (workdir / "overrides.yaml").write_text(_overrides(workdir, port, registration, extra))
    with (workdir / "synapse.out").open("wb") as out:
        process = subprocess.Popen(
            [str(python), "-m", "synapse.app.homeserver", "-c", str(config),
             "-c", str(workdir / "overrides.yaml")],
            stdout=out, stderr=subprocess.STDOUT, cwd=workdir,
        )  # fmt: skip
    server = Synapse(process, f"http://127.0.0.1:{port}", workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Synapse exited during start-up:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/_matrix/client/versions", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"Synapse did not answer within {timeout} s:\n{server.log_tail()}")


@contextmanager
def with_recorder(
    workdir: Path, registration: Callable[[int], str], hs_token: str, extra: str = ""
) -> Iterator[tuple[Synapse, RecordingAppservice]]:
    """Synapse with a recording appservice beside it, both stopped on exit.

    ``registration`` gives the registration file's text for the appservice's port; the
    package's own checks must pass on the file before Synapse loads it.
    """
    as_port = free_port()
    reg_path = workdir / "registration.yaml"
    reg_path.write_text(registration(as_port))
    load_registration(reg_path)
    appservice = RecordingAppservice(hs_token)
    appservice.start(as_port)
    try:
        server = start(workdir, reg_path, extra=extra)
    except BaseException:
        appservice.stop()
        raise
    try:
        yield server, appservice
    finally:
        server.stop()
        appservice.stop()


def register_user(
    base_url: str, localpart: str, password: str = "interop-password"
) -> dict[str, str]:
    """A normal (non-admin) user, made through the shared-secret registration admin API.

    Returns Synapse's answer: ``user_id``, ``access_token``, ``device_id``, ``home_server``.
    """
    url = f"{base_url}/_synapse/admin/v1/register"
    with urllib.request.urlopen(url, timeout=30) as answer:
        nonce = json.load(answer)["nonce"]
    message = b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), b"notadmin"])
    mac = hmac.new(SHARED_SECRET.encode(), message, hashlib.sha1).hexdigest()
    body = {"nonce": nonce, "username": localpart, "password": password, "admin": False, "mac": mac}
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        registered: dict[str, str] = json.load(answer)
    return registered
