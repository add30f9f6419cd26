"""The probe's command line: the token never shows, an unreachable URL fails clearly, bad
arguments are usage errors without a traceback, and ``appservice-spec probe`` forwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from matrix_appservice.homeserver.testing import free_port
from matrix_appservice.probe import Prober, Samples
from matrix_appservice.server import create_app

from tests.conftest import REPO
from tests.python.probe.support import probe, served, write_registration
from tests.python.server.support import Recorder, registration

SECRET = "probe-secret-Zq81/x+y"  # a slash and a plus: also checked percent-encoded


class Refuses(Recorder):
    """Fails every transaction, so the probe reports failures (whose texts could leak)."""

    async def send_transaction(self, transaction: object) -> None:
        raise RuntimeError(f"refusing {SECRET}")


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("handler", [Recorder, Refuses])
def test_the_token_never_appears_in_the_output(
    capsys: pytest.CaptureFixture[str], as_json: bool, handler: type[Recorder]
) -> None:
    app = create_app(registration(hs_token=SECRET), handler(), store="memory", version="v1.3")
    with served(app) as url:
        # v1.3: the token travels as a query parameter, the way it could reach error texts.
        args = [url, "--hs-token", SECRET, "--version", "v1.3"]
        code, out, err = probe(capsys, *args, *(["--json"] if as_json else []))
    assert code == (1 if handler is Refuses else 0), out
    for text in (out, err):
        assert SECRET not in text
        assert quote(SECRET, safe="") not in text


@pytest.mark.parametrize("version", ["v1.3", "v1.19"])
def test_the_token_is_scrubbed_from_exception_texts(version: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(404)
        # An exception whose text carries the full URL (query included) and the header.
        raise httpx.ReadError(f"{request.url} {request.headers.get('authorization')}")

    with httpx.Client(transport=httpx.MockTransport(fail)) as client:
        report = Prober(client, "http://as", SECRET, version, Samples(None)).run()
    failures = [c for c in report.checks if c.outcome == "fail"]
    # Every check but the oversized body (a closed connection is an allowed answer there).
    applicable = [c for c in report.checks if c.outcome != "n/a"]
    assert [c.name for c in applicable if c.outcome == "pass"] == ["oversized-body"]
    assert len(failures) == len(applicable) - 1 == (15 if version == "v1.3" else 18)
    # The prober hides the token as it records each reason: the report holds none.
    assert any("<redacted>" in c.reason for c in failures)
    for text in (*(c.reason for c in report.checks), report.text(), report.json()):
        assert SECRET not in text and quote(SECRET, safe="") not in text
    assert "<redacted>" in report.json()


def test_an_unreachable_url_is_one_clear_failure(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = probe(capsys, url, "--hs-token", SECRET, "--timeout", "2")
    assert code == 1
    assert out.splitlines()[1].startswith(f"FAIL connect: cannot reach {url}: ConnectError")
    assert out.splitlines()[-1] == "0 passed, 1 failed, 0 not applicable"
    assert "Traceback" not in out + err and SECRET not in out + err


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matrix_appservice", "probe", *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required: URL"),
        (["http://127.0.0.1:9"], "give --hs-token, or --registration with an hs_token"),
        (["ftp://host", "--hs-token", "t"], "URL must be an http:// or https:// address"),
        (["http://h/?access_token=t", "--hs-token", "t"], "URL takes no query"),
        (["http://127.0.0.1:9", "--hs-token", "t", "--version", "v9"], "v9"),
        (["http://127.0.0.1:9", "--hs-token", "t", "--timeout", "0"], "--timeout must be"),
        (["http://127.0.0.1:9", "--hs-token", "t", "--timeout", "soon"], "invalid float"),
        (["http://127.0.0.1:9", "--registration", "/nonexistent/reg.yaml"], "reg.yaml"),
    ],
)
def test_bad_arguments_are_usage_errors(args: list[str], message: str) -> None:
    done = _run(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_an_invalid_registration_is_invalid_input_naming_the_file(tmp_path: Path) -> None:
    path = write_registration(tmp_path, registration(hs_token=SECRET, namespaces="users"))
    done = _run("http://127.0.0.1:9", "--registration", str(path))
    assert done.returncode == 1 and done.stdout == ""
    assert str(path) in done.stderr and SECRET not in done.stderr


def test_appservice_spec_probe_forwards_to_the_package() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "codegen.cli", "probe", url, "--hs-token", SECRET, "--timeout", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "FAIL connect: cannot reach" in done.stdout and SECRET not in done.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "codegen.cli", "probe", "--help"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert usage.returncode == 0 and "usage: appservice-spec probe" in usage.stdout


def test_without_httpx_the_probe_says_which_extra_it_needs() -> None:
    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "from tests.package_cli import main\n"
        "sys.exit(main(['probe', 'http://127.0.0.1:9', '--hs-token', 't']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3  # cannot start here
    assert "needs httpx: pip install 'matrix-appservice[client]'" in done.stderr
    assert "Traceback" not in done.stderr
