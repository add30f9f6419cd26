"""A throwaway PostgreSQL cluster for tests (Debian's ``postgresql``, ``make postgres``).

``initdb`` writes a cluster into a fresh folder under the system temp dir, ``pg_ctl`` starts it
listening on 127.0.0.1 at a free port (and on a socket in that folder) with trust
authentication and durability off, one database is created for the tests, and at the end the
server is stopped and the folder deleted.

PostgreSQL refuses to run as root. Under root the cluster belongs to the ``postgres`` system
user (``nobody`` when there is none) and every server command runs through ``runuser``.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "ClusterUnavailable", "find_bindir", "start_cluster"]

SEARCH = Path("/usr/lib/postgresql")
DATABASE = "appservice_test"
SUPERUSER = "postgres"
_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 16MB
log_min_messages = warning
"""


class ClusterUnavailable(Exception):
    """The machine cannot run a cluster: no server binaries, or none would start."""


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))


def find_bindir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: PATH first, then Debian's."""
    candidates: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    candidates += sorted(SEARCH.glob("*/bin"), key=_version, reverse=True)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise ClusterUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) are neither on PATH nor under "
        f"{SEARCH}/*/bin: run `make postgres` (it installs Debian's postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _owner() -> pwd.struct_passwd | None:
    """The unprivileged account that runs the server when the tests run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterUnavailable(
        "the tests run as root, which PostgreSQL refuses, and there is neither a `postgres` "
        "nor a `nobody` account to run it as"
    )


@dataclass
class Cluster:
    bindir: Path
    base: Path
    port: int
    owner: pwd.struct_passwd | None
    startup_seconds: float = 0.0

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    def dsn(self, dbname: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / tool), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner.pw_name, "--", *command]
        return subprocess.run(
            command, cwd=self.base, capture_output=True, text=True, timeout=timeout, check=False
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the folder; safe to call twice."""
        if (self.data / "postmaster.pid").exists():
            done = self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "30")
            if done.returncode != 0:
                self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.base, ignore_errors=True)


def _failed(step: str, done: subprocess.CompletedProcess[str], cluster: Cluster) -> str:
    output = (done.stdout + done.stderr).strip()
    return f"{step} failed (exit {done.returncode}): {output}\n{cluster.log_tail()}"


def start_cluster(attempts: int = 3) -> Cluster:
    """initdb, start and create the test database; raises ClusterUnavailable with the reason."""
    bindir = find_bindir()
    owner = _owner()
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="appservice-pg-"))
    cluster = Cluster(bindir, base, 0, owner)
    try:
        if owner is not None:
            os.chown(base, owner.pw_uid, owner.pw_gid)
        done = cluster.run(
            "initdb", "-D", str(cluster.data), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterUnavailable(_failed("initdb", done, cluster))
        conf = cluster.data / "postgresql.conf"
        original = conf.read_text()
        for _ in range(attempts):
            # Another process may take the port between the probe and the bind: then retry.
            cluster.port = _free_port()
            conf.write_text(original + _SETTINGS.format(port=cluster.port, sockets=base))
            done = cluster.run(
                "pg_ctl", "start", "-D", str(cluster.data), "-l", str(cluster.log), "-w", "-t", "60"
            )
            if done.returncode == 0:
                break
            if "could not bind" not in cluster.log_tail():
                raise ClusterUnavailable(_failed("pg_ctl start", done, cluster))
        else:
            raise ClusterUnavailable(_failed("pg_ctl start", done, cluster))
        done = cluster.run(
            "psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", SUPERUSER, "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {DATABASE}",
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterUnavailable(_failed("CREATE DATABASE", done, cluster))
    except BaseException:
        cluster.stop()
        raise
    cluster.startup_seconds = time.monotonic() - started
    return cluster
