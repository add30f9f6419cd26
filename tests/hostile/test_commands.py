"""The package's commands (``matrix-appservice validate|serve|homeserver|probe``) as child
processes, each given each kind of failure: the documented exit status
(1 invalid input, 2 usage error, 3 cannot start), one line on standard error saying what is
wrong, and no traceback. The servers, when they do start, bind before they say so, log the
port they got, and stop with exit status 0 on SIGINT and SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.hostile.bounded import PACKAGE, REPO, Outcome, matrix_appservice

# The exit statuses the READMEs document (tests/test_readme.py holds them to --help).
EXIT_CODES = {
    0: "done: all valid, no probe check failed, or a server stopped by SIGINT/SIGTERM",
    1: "invalid input: a payload or registration file's content, or a failed probe check",
    2: "usage error: bad arguments, a handler that cannot be built, a file that cannot be read",
    3: "cannot start: address in use, store unreachable, extra missing, start-up hook failed",
}
INVALID, USAGE, NO_START = 1, 2, 3
AS_TOKEN = "as_token_commands_0123456789"
HS_TOKEN = "hs_token_commands_9876543210"

HANDLERS = """
from matrix_appservice.server import AppServiceHandler


class Plain(AppServiceHandler):
    pass


class NeedsArguments(AppServiceHandler):
    def __init__(self, backend):
        self.backend = backend


def broken_factory(registration):
    raise RuntimeError(f"the backend of {registration.id} is down")


class FailsToStart(AppServiceHandler):
    async def startup(self):
        raise ConnectionRefusedError("the remote network refused us")
"""


def _registration(**changes: object) -> dict[str, object]:
    reg: dict[str, object] = {
        "id": "commands",
        "url": "http://127.0.0.1:9",
        "as_token": AS_TOKEN,
        "hs_token": HS_TOKEN,
        "sender_localpart": "commandsbot",
        "namespaces": {"users": [{"exclusive": True, "regex": "@_cmd_.*:localhost"}]},
    }
    reg.update(changes)
    return reg


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    """Files and a taken port the cases refer to, in the child's working folder."""

    root: Path
    busy: int

    def registration(self, name: str, **changes: object) -> str:
        path = self.root / name
        if not path.exists():
            path.write_text(yaml.safe_dump(_registration(**changes)), encoding="utf-8")
            path.chmod(0o600)
        return name

    @property
    def good(self) -> str:
        return self.registration("good.yaml")

    @property
    def fifo(self) -> str:
        if not (self.root / "pipe.yaml").exists():
            os.mkfifo(self.root / "pipe.yaml")
        return "pipe.yaml"

    @property
    def no_scheme(self) -> str:
        return self.registration("no-scheme.yaml", url="localhost:9031")

    @property
    def bad_ipv6(self) -> str:
        return self.registration("bad-ipv6.yaml", url="http://[::1")

    @property
    def upper_case(self) -> str:
        return self.registration("upper.yaml", sender_localpart="CommandsBot")

    @property
    def broken_yaml(self) -> str:
        (self.root / "broken.yaml").write_text("id: x\nurl: [\n", encoding="utf-8")
        return "broken.yaml"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "handlers.py").write_text(HANDLERS, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield World(tmp_path, taken.getsockname()[1])


_SERVE = ["serve", "handlers:Plain", "--store", "memory"]
_REGISTRATION_LINE = r"\S+\.yaml:\d+: "
_URL = r"url '{}' is not an http:// or https:// URL with a host \(e\.g\. http://localhost:9031\), or null"
_NOT_A_FILE = (
    r"pipe\.yaml: is not a regular file \(a device, pipe or socket\); a registration must be a file"
)

# (command, kind) -> (argv from the world, exit status, the one line on stderr as a regex)
CASES: dict[tuple[str, str], tuple[Callable[[World], list[str]], int, str]] = {
    ("validate", "unknown-release"): (
        lambda w: ["validate", "--version", "v7", "--registration", w.good],
        USAGE, r"validate: unknown release 'v7'.*"),
    ("validate", "fifo-registration"): (
        lambda w: ["validate", "--registration", w.fifo], USAGE, "validate: " + _NOT_A_FILE),
    ("validate", "device-registration"): (
        lambda w: ["validate", "--registration", "/dev/zero"], USAGE,
        r"validate: /dev/zero: is not a regular file .*"),
    ("serve", "port-out-of-range"): (
        lambda w: [*_SERVE, "--registration", w.good, "--port", "70000"], USAGE,
        r".* serve: error: argument --port: expected a port number from 0 to 65535, not '70000'"),
    ("serve", "path-for-module"): (
        lambda w: ["serve", "../x/h:H", "--registration", w.good], USAGE,
        r"serve: '\.\./x/h:H': expected MODULE:HANDLER with a dotted module name.*"),
    ("serve", "class-needs-arguments"): (
        lambda w: ["serve", "handlers:NeedsArguments", "--registration", w.good], USAGE,
        r"serve: handlers:NeedsArguments cannot be built without arguments; give a factory .*"),
    ("serve", "missing-registration"): (
        lambda w: [*_SERVE, "--registration", "nowhere.yaml"], USAGE,
        r"serve: nowhere\.yaml: cannot read the file: no such file or directory"),
    ("serve", "fifo-registration"): (
        lambda w: [*_SERVE, "--registration", w.fifo], USAGE, "serve: " + _NOT_A_FILE),
    ("serve", "url-without-scheme"): (
        lambda w: [*_SERVE, "--registration", w.no_scheme], INVALID,
        "serve: " + _REGISTRATION_LINE + _URL.format("localhost:9031")),
    ("serve", "url-bad-ipv6"): (
        lambda w: [*_SERVE, "--registration", w.bad_ipv6], INVALID,
        "serve: " + _REGISTRATION_LINE + _URL.format(r"http://\[::1")),
    ("serve", "broken-yaml"): (
        lambda w: [*_SERVE, "--registration", w.broken_yaml], INVALID,
        r"serve: broken\.yaml:3: YAML error: .*"),
    ("serve", "strict-upper-case"): (
        lambda w: [*_SERVE, "--registration", w.upper_case, "--strict"], INVALID,
        "serve: " + _REGISTRATION_LINE + r"sender_localpart 'CommandsBot' has upper-case .*"),
    ("serve", "port-in-use"): (
        lambda w: [*_SERVE, "--registration", w.good, "--port", str(w.busy)], NO_START,
        r"serve: cannot listen on 127\.0\.0\.1:\d+: Address already in use"),
    ("serve", "store-unreachable"): (
        lambda w: ["serve", "handlers:Plain", "--registration", w.good, "--port", "0", "--store",
                   f"postgresql://nobody:pw@127.0.0.1:{_free_port()}/nothing"],
        NO_START, r"serve: start-up failed: connection failed: .*refused.*"),
    ("serve", "factory-raises"): (
        lambda w: ["serve", "handlers:broken_factory", "--registration", w.good], NO_START,
        r"serve: handlers:broken_factory\(registration\) failed: RuntimeError: the backend of "
        r"commands is down"),
    ("serve", "startup-hook-raises"): (
        lambda w: [*_SERVE[:1], "handlers:FailsToStart", "--store", "memory", "--registration",
                   w.good, "--port", "0"],
        NO_START, r"serve: start-up failed: the remote network refused us"),
    ("homeserver", "port-out-of-range"): (
        lambda w: ["homeserver", "--registration", w.good, "--port", "70000"], USAGE,
        r".* homeserver: error: argument --port: expected a port number from 0 to 65535, not "
        r"'70000'"),
    ("homeserver", "fifo-registration"): (
        lambda w: ["homeserver", "--registration", w.fifo], USAGE, "homeserver: " + _NOT_A_FILE),
    ("homeserver", "user-in-a-namespace"): (
        lambda w: ["homeserver", "--registration", w.good, "--port", "0", "--user", "_cmd_x"],
        USAGE, r"homeserver: --user _cmd_x: @_cmd_x:localhost is held exclusively by an "
        r"application service"),
    ("homeserver", "url-bad-ipv6"): (
        lambda w: ["homeserver", "--registration", w.bad_ipv6], INVALID,
        "homeserver: " + _REGISTRATION_LINE + _URL.format(r"http://\[::1")),
    ("homeserver", "strict-upper-case"): (
        lambda w: ["homeserver", "--registration", w.upper_case, "--strict"], INVALID,
        "homeserver: " + _REGISTRATION_LINE + r"sender_localpart 'CommandsBot' has upper-case .*"),
    ("homeserver", "port-in-use"): (
        lambda w: ["homeserver", "--registration", w.good, "--port", str(w.busy)], NO_START,
        r"homeserver: cannot listen on 127\.0\.0\.1:\d+: Address already in use"),
    ("probe", "bad-ipv6-url"): (
        lambda w: ["probe", "http://[::1", "--hs-token", "t"], USAGE,
        r"probe: URL 'http://\[::1' cannot be read: Invalid IPv6 URL"),
    ("probe", "fifo-registration"): (
        lambda w: ["probe", "http://127.0.0.1:9", "--registration", w.fifo], USAGE,
        "probe: " + _NOT_A_FILE),
    ("probe", "url-without-scheme"): (
        lambda w: ["probe", "http://127.0.0.1:9", "--registration", w.no_scheme], INVALID,
        "probe: " + _REGISTRATION_LINE + _URL.format("localhost:9031")),
    ("probe", "strict-upper-case"): (
        lambda w: ["probe", "http://127.0.0.1:9", "--registration", w.upper_case, "--strict"],
        INVALID,
        "probe: " + _REGISTRATION_LINE + r"sender_localpart 'CommandsBot' has upper-case .*"),
}  # fmt: skip


def _lines_without_usage(stderr: str) -> list[str]:
    """Standard error without argparse's usage block (``usage: ...`` and its indented lines)."""
    lines = stderr.splitlines()
    if lines and lines[0].startswith("usage: "):
        lines = lines[1:]
        while lines and lines[0].startswith(" "):
            lines = lines[1:]
    return lines


@pytest.mark.parametrize(("command", "kind"), list(CASES), ids=["-".join(c) for c in CASES])
def test_every_failure_has_its_status_and_one_line(world: World, command: str, kind: str) -> None:
    argv, code, line = CASES[(command, kind)]
    outcome = matrix_appservice(*argv(world), cwd=world.root, timeout=30)
    outcome.check_clean(codes=[code], seconds=30)
    lines = _lines_without_usage(outcome.stderr)
    assert len(lines) == 1 and re.fullmatch(line, lines[0]), outcome.stderr
    assert AS_TOKEN not in outcome.stderr and HS_TOKEN not in outcome.stderr
    assert outcome.stdout == ""


def test_validate_reports_a_url_without_a_scheme_as_invalid(world: World) -> None:
    outcome = matrix_appservice("validate", "--registration", world.no_scheme, cwd=world.root)
    outcome.check_clean(codes=[INVALID])
    text = (world.root / world.no_scheme).read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if t.startswith("url:"))
    assert outcome.stdout.splitlines() == [
        "no-scheme.yaml: INVALID (v1.19)",
        f"  no-scheme.yaml:{line}: url 'localhost:9031' is not an http:// or https:// URL with a host "
        "(e.g. http://localhost:9031), or null",
    ]


def test_the_help_names_every_command_and_the_exit_statuses() -> None:
    outcome = matrix_appservice("--help")
    outcome.check_clean(codes=[0])
    text = " ".join(outcome.stdout.split())
    assert "Validate Matrix appservice payloads." not in text
    for word in ("validate payloads", "serve an appservice", "in-memory homeserver", "probe"):
        assert word in text
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {meaning}" in text


def test_running_homeserver_on_a_taken_port_raises_one_clear_error(world: World) -> None:
    code = (
        "import sys\n"
        "from matrix_appservice.homeserver.testing import running_homeserver\n"
        "try:\n"
        f"    with running_homeserver([{world.good!r}], port={world.busy}):\n"
        "        pass\n"
        "except OSError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
    )
    outcome = _python(code, world.root)
    outcome.check_clean(codes=[3], seconds=30)
    assert outcome.stdout == (
        f"[Errno 98] the in-memory homeserver cannot listen on 127.0.0.1:{world.busy}: "
        "Address already in use\n"
    )
    assert outcome.stderr == ""


def _python(code: str, cwd: Path) -> Outcome:
    from tests.hostile.bounded import run_bounded

    return run_bounded([sys.executable, "-c", code], cwd=cwd, timeout=30)


# -- servers that start: the bound address in the start line, clean stop on a signal --------


def _start(
    argv: list[str], cwd: Path
) -> tuple[subprocess.Popen[str], dict[str, object], list[str]]:
    """Start a server command; return it, its start line (JSON) and the lines logged before."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(PACKAGE)]))
    process = subprocess.Popen(
        [sys.executable, "-m", "matrix_appservice", *argv, "--log-format", "json"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    before: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:
        entry = json.loads(line)
        if entry.get("event") == "start":
            return process, entry, before
        before.append(line)
    process.wait(timeout=30)
    raise AssertionError(f"no start line; exit status {process.returncode}: {before}")


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


SERVERS = {
    "serve": ["serve", "handlers:Plain", "--store", "memory"],
    "homeserver": ["homeserver"],
}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("server", list(SERVERS))
def test_port_0_is_logged_as_bound_and_a_signal_stops_with_0(
    world: World, server: str, signum: int
) -> None:
    argv = [*SERVERS[server], "--registration", world.good, "--port", "0"]
    process, start, _ = _start(argv, world.root)
    try:
        port = start["port"]
        assert isinstance(port, int) and port > 0
        assert start["url"] == f"http://127.0.0.1:{port}" and str(port) in str(start["message"])
        if server == "homeserver":
            answer = httpx.get(f"http://127.0.0.1:{port}/_matrix/client/versions", timeout=10)
            assert "v1.19" in answer.json()["versions"]
        else:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/_matrix/app/v1/ping", json={}, timeout=10,
                headers={"Authorization": f"Bearer {HS_TOKEN}"},
            )  # fmt: skip
            assert answer.status_code == 200
    finally:
        code, _, err = _stop(process, signum)
    assert code == 0, err
    assert "Traceback" not in err
    assert [json.loads(line).get("event") for line in err.splitlines()][-1] == "stop"


def test_the_homeserver_prints_the_users_it_made(world: World) -> None:
    argv = ["homeserver", "--registration", world.good, "--port", "0", "--user", "alice",
            "--user", "bob", "--server-name", "example.org"]  # fmt: skip
    process, start, _ = _start(argv, world.root)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(2)]
        made = dict(line.split(" ") for line in lines)
        assert list(made) == ["@alice:example.org", "@bob:example.org"]
        for user_id, token in made.items():
            who = httpx.get(
                f"http://127.0.0.1:{start['port']}/_matrix/client/v3/account/whoami",
                headers={"Authorization": f"Bearer {token}"}, timeout=10,
            )  # fmt: skip
            assert who.json()["user_id"] == user_id
    finally:
        code, _, err = _stop(process, signal.SIGTERM)
    assert code == 0, err


@pytest.mark.parametrize("server", ["serve", "homeserver"])
def test_registration_warnings_are_logged_at_start(world: World, server: str) -> None:
    path = world.upper_case
    (world.root / path).chmod(0o644)
    argv = [*SERVERS[server]]
    process, _, before = _start([*argv, "--registration", path, "--port", "0"], world.root)
    _stop(process, signal.SIGTERM)
    warnings = [json.loads(line) for line in before]
    assert [w["event"] for w in warnings] == ["registration_warning"] * 2
    assert all(w["level"] == "warning" for w in warnings)
    messages = sorted(w["message"] for w in warnings)
    assert messages[0].startswith("upper.yaml: warning: other users have access to the file")
    assert re.match(r"upper\.yaml:\d+: warning: sender_localpart 'CommandsBot'", messages[1])


def test_text_logs_for_people(world: World) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(PACKAGE)]))
    process = subprocess.Popen(
        [sys.executable, "-m", "matrix_appservice", *SERVERS["serve"], "--registration",
         world.good, "--port", "0", "--log-format", "text"],
        cwd=world.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    first = process.stderr.readline()
    code, _, rest = _stop(process, signal.SIGTERM)
    assert code == 0
    assert re.fullmatch(
        r"\S+Z INFO +matrix_appservice\.server: serving appservice commands on "
        r"http://127\.0\.0\.1:(\d+) event=start .*port=\1 store=memory release=v1\.19\n",
        first,
    ), first
    assert rest.rstrip("\n").endswith("matrix_appservice.server: stopped event=stop")
