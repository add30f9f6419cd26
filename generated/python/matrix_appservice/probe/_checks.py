"""The checks: each sends one or two requests to a live appservice and judges the answers.

Requests go out with httpx (the ``[client]`` extra) directly, since several are malformed on
purpose. Every answer is validated against the chosen release; error answers whose status
the operation does not list are validated against the spec's ``Error`` schema.

Answers are read as the clients read them: streamed, up to the clients' size bound
(``MAX_ANSWER_BYTES``; a longer answer fails its check), and each check, all its requests
together, ends within the timeout (over a :class:`~matrix_appservice._http_limits.DeadlineTransport`
the bound holds inside every socket operation, over any other transport between chunks).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matrix_appservice._client_core import MAX_ANSWER_BYTES
from matrix_appservice._client_secrets import redact, scrub, scrub_cut
from matrix_appservice._credentials import require_plain_url, require_token
from matrix_appservice._json import parse_json
from matrix_appservice._operation import type_name
from matrix_appservice._validator import validate
from matrix_appservice.operations import OPERATIONS, Operation
from matrix_appservice.probe._report import Check, Outcome, Report, first_release
from matrix_appservice.probe._samples import Samples
from matrix_appservice.rules import PROBE_CHECKS, rules_for_check

if TYPE_CHECKING:
    import httpx

__all__ = ["OVERSIZED_BYTES", "Prober"]

OVERSIZED_BYTES = 64 * 1024 * 1024
"""The size of the oversized body: twice the largest common limit."""
_CHUNK = b" " * (1024 * 1024)
_PROTOCOL = "probe-protocol"


class _Failed(Exception):
    """A check failed; the message says why."""


@dataclass(frozen=True)
class Reply:
    """An answer, read whole within the size bound."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        """The start of the body as text (4 KiB at most), for messages."""
        return self.content[:4096].decode("utf-8", "replace")


def _json(response: Reply, token: str) -> Any:
    try:
        return parse_json(response.content)  # bounded nesting, as the clients read
    except ValueError as exc:
        preview = scrub_cut(response.text, (token,), 60)
        raise _Failed(
            f"answered {response.status_code} with a body that is not JSON ({scrub(str(exc), (token,))}): {preview!r}"
        ) from None


def _late(exc: Exception) -> str:
    text = str(exc)
    return text if text.startswith("no complete answer") else "no answer in time"


class Prober:
    """Runs every check against ``base_url`` for ``release`` and collects a :class:`Report`.

    ``hs_token`` must be a usable token and ``base_url`` must hold no user info
    (``ValueError`` otherwise). The token is hidden in every text from outside (answers,
    exceptions) before it goes into the report.
    """

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        hs_token: str,
        release: str,
        samples: Samples,
        progress: Callable[[Check], None] = lambda check: None,
        *,
        timeout: float | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.client = client
        self.timeout = timeout if timeout is not None else client.timeout.read
        """Seconds each check may take, all its requests together (default: the client's
        read timeout); ``None``: no bound."""
        self.max_answer_bytes = max_answer_bytes
        self.base = require_plain_url("base_url", base_url).rstrip("/")
        self.token = require_token("hs_token", hs_token)
        self.release = release
        self.samples = samples
        self.progress = progress
        self.report = Report(base_url, release)

    # -- helpers ----------------------------------------------------------------------------

    def _shown(self, text: str, limit: int | None = None) -> str:
        """Text from outside, fit for the report: the token hidden, then cut to ``limit``."""
        if limit is None:
            return scrub(text, (self.token,))
        return scrub_cut(text, (self.token,), limit)

    def _auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and query parameters that carry the token the way the release wants."""
        schemes = OPERATIONS["sendTransaction"].auth(self.release)
        if any(s.kind == "bearer" for s in schemes):
            return {"Authorization": f"Bearer {self.token}"}, {}
        return {}, {"access_token": self.token}

    def _deadline(self) -> Any:
        from matrix_appservice._http_limits import deadline  # needs httpx, as sending does

        return deadline(self.timeout) if self.timeout is not None else nullcontext()

    def _exchange(self, method: str, url: str, **kwargs: Any) -> Reply:
        """One request; the answer read streamed, and refused past the size bound."""
        from matrix_appservice._http_limits import read_bounded

        with self.client.stream(method, url, **kwargs) as response:
            content, complete = read_bounded(response.iter_bytes(), self.max_answer_bytes)
        if not complete:
            raise _Failed(
                f"answered {response.status_code} with a body of more than "
                f"{self.max_answer_bytes} bytes (the clients' bound); stopped reading"
            )
        return Reply(response.status_code, content)

    def _send(self, method: str, path: str, **kwargs: Any) -> Reply:
        headers, params = self._auth()
        headers.update(kwargs.pop("headers", {}))
        params.update(kwargs.pop("params", {}))
        if kwargs.pop("anonymous", False):
            headers.pop("Authorization", None)
            params.pop("access_token", None)
        return self._exchange(method, self.base + path, headers=headers, params=params, **kwargs)

    def _validated(self, op: Operation[Any, Any], response: Reply) -> Any:
        """The parsed body; fails when it breaks the release's schema for that status."""
        body = _json(response, self.token)
        status = response.status_code
        if status in op.responses:
            target: dict[str, Any] = {"response": op.name, "status": status}
        else:
            target = {"schema": "Error"}
        result = validate(body, version=self.release, **target)
        if not result.valid:
            path, what = result.errors[0].path, result.errors[0].message
            clean = redact(body, (self.token,))
            if clean != body:
                # The message quotes values, cut short: take it from the values with the
                # token hidden, so that no cut leaves a piece of it.
                shown = validate(clean, version=self.release, **target)
                if shown.valid:
                    path = self._shown(path)
                    what = "a value that holds the token (not shown) breaks the schema"
                else:
                    path, what = shown.errors[0].path, shown.errors[0].message
            raise _Failed(
                f"answered {status} with a body the spec does not allow for {op.name}: "
                f"{path}: {what}"
            )
        return body

    def _error(
        self, op: Operation[Any, Any], response: Reply, status: int, errcode: str | None
    ) -> str:
        """Checks an error answer: the status, a valid error body and the errcode if one is due."""
        if response.status_code != status:
            raise _Failed(
                f"expected {status}{' ' + errcode if errcode else ''}, "
                f"got {response.status_code} {self._shown(response.text, 60)!r}"
            )
        body = self._validated(op, response)
        if errcode is not None and body.get("errcode") != errcode:
            shown = self._shown(repr(body.get("errcode")))
            raise _Failed(f"answered {status} with errcode {shown}, not {errcode}")
        return f"{status} {errcode or self._shown(body['errcode'])}"

    def _empty_ok(self, op: Operation[Any, Any], response: Reply) -> None:
        if response.status_code != 200:
            raise _Failed(
                f"expected 200 {{}}, got {response.status_code} {self._shown(response.text, 80)!r}"
            )
        body = self._validated(op, response)
        if body != {}:
            shown = json.dumps(redact(body, (self.token,)))[:80]  # the values hide the token
            raise _Failed(f"answered 200 with {shown}, not {{}}")

    def _txn_path(self, txn_id: str | None = None) -> str:
        op = OPERATIONS["sendTransaction"]
        return op.format_path(self.release, txnId=txn_id or f"probe-{uuid.uuid4().hex}")

    def _record(self, name: str, outcome: Outcome, reason: str) -> None:
        check = Check.of(name, outcome, reason, self.release)
        self.report.checks.append(check)
        self.progress(check)

    def _no_rule(self, name: str) -> str | None:
        """Why ``name`` does not apply to the release: none of its rules holds there."""
        if rules_for_check(name, self.release):
            return None
        since = [f"{i} from {first_release(i)}" for i in PROBE_CHECKS.get(name, ())]
        return f"no rule of {self.release} asks for this ({', '.join(since) or 'no rule'})"

    def _run(self, name: str, body: Callable[[], tuple[Outcome, str]]) -> None:
        import httpx

        why = self._no_rule(name)
        if why is not None:
            self._record(name, "n/a", why)
            return
        try:
            with self._deadline():
                outcome, reason = body()
        except _Failed as exc:
            outcome, reason = "fail", str(exc)
        except httpx.TimeoutException as exc:
            outcome, reason = "fail", f"{_late(exc)} ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            outcome, reason = (
                "fail",
                f"the request failed: {type(exc).__name__}: {self._shown(str(exc))}",
            )
        self._record(name, outcome, reason)

    # -- the checks -------------------------------------------------------------------------

    def run(self) -> Report:
        import httpx

        try:
            with self._deadline():
                self._exchange("GET", self.base + "/")
        except _Failed:
            pass  # an answer, however long: the appservice is there
        except httpx.HTTPError as exc:
            reason = f"cannot reach {self.base}: {type(exc).__name__}: {self._shown(str(exc)) or 'no answer'}"
            self._record("connect", "fail", reason)
            return self.report
        for name, check in self.checks():
            self._run(name, check)
        return self.report

    def checks(self) -> Iterator[tuple[str, Callable[[], tuple[Outcome, str]]]]:
        """``(name, check)`` of every check; the rules each tests come from the spec's rule
        data (:data:`matrix_appservice.rules.PROBE_CHECKS`)."""
        yield "transaction", self.transaction
        yield "transaction-empty", self.transaction_empty
        yield "transaction-retry", self.transaction_retry
        yield "transaction-handled-once", self.handled_once
        yield "missing-token", self.missing_token
        yield "wrong-token", self.wrong_token
        yield "mismatched-tokens", self.mismatched_tokens
        yield "legacy-query-token", self.legacy_query_token
        yield "unknown-route", self.unknown_route
        yield "wrong-method", self.wrong_method
        yield "malformed-json", self.malformed_json
        yield "schema-violation", self.schema_violation
        yield "oversized-body", self.oversized_body
        yield "ping", self.ping
        yield "user-query", self.user_query
        yield "alias-query", self.alias_query
        for op_name, params, path_params in (
            ("getProtocolMetadata", {}, {"protocol": _PROTOCOL}),
            ("queryLocationByProtocol", {"probe_field": "x"}, {"protocol": _PROTOCOL}),
            ("queryUserByProtocol", {"probe_field": "x"}, {"protocol": _PROTOCOL}),
            ("queryLocationByAlias", {"alias": self.samples.alias}, {}),
            ("queryUserByID", {"userid": self.samples.user}, {}),
        ):
            yield (
                f"thirdparty-{OPERATIONS[op_name].python_name.replace('_', '-')}",
                self._lookup(op_name, params, path_params),
            )

    def _put_transaction(self, body: Any, txn_id: str | None = None) -> Reply:
        result = validate(body, request="sendTransaction", version=self.release)
        assert result.valid, result.errors  # the probe's own transaction must be valid
        return self._send("PUT", self._txn_path(txn_id), json=body)

    def transaction(self) -> tuple[Outcome, str]:
        body = self.samples.transaction()
        self._empty_ok(OPERATIONS["sendTransaction"], self._put_transaction(body))
        who = "a namespaced" if self.samples.namespaced_user else "an unregistered"
        return "pass", f"a transaction with one event from {who} user: 200 {{}}"

    def transaction_empty(self) -> tuple[Outcome, str]:
        self._empty_ok(OPERATIONS["sendTransaction"], self._put_transaction({"events": []}))
        return "pass", "a transaction without events: 200 {}"

    def transaction_retry(self) -> tuple[Outcome, str]:
        op = OPERATIONS["sendTransaction"]
        txn_id = f"probe-{uuid.uuid4().hex}"
        body = self.samples.transaction()
        self._empty_ok(op, self._put_transaction(body, txn_id))
        try:
            self._empty_ok(op, self._put_transaction(body, txn_id))
        except _Failed as exc:
            raise _Failed(f"the same transaction sent again: {exc}") from None
        return "pass", "the same transaction ID and body sent twice: 200 {} both times"

    def handled_once(self) -> tuple[Outcome, str]:
        return "n/a", "whether a retried transaction is handled once is not observable from outside"

    def missing_token(self) -> tuple[Outcome, str]:
        op = OPERATIONS["sendTransaction"]
        response = self._send("PUT", self._txn_path(), json={"events": []}, anonymous=True)
        return "pass", f"no token: {self._error(op, response, 401, None)}"

    def wrong_token(self) -> tuple[Outcome, str]:
        op = OPERATIONS["sendTransaction"]
        wrong = "probe-wrong-" + uuid.uuid4().hex
        headers, params = self._auth()
        if headers:
            headers = {"Authorization": f"Bearer {wrong}"}
        else:
            params = {"access_token": wrong}
        response = self._exchange(
            "PUT", self.base + self._txn_path(), headers=headers, params=params, json={"events": []}
        )
        return "pass", f"a wrong token: {self._error(op, response, 403, 'M_FORBIDDEN')}"

    def mismatched_tokens(self) -> tuple[Outcome, str]:
        schemes = OPERATIONS["sendTransaction"].auth(self.release)
        if not any(s.kind == "bearer" for s in schemes):
            return "n/a", f"{self.release} sends the token in one place only"
        op = OPERATIONS["sendTransaction"]
        wrong = "probe-wrong-" + uuid.uuid4().hex
        response = self._exchange(
            "PUT", self.base + self._txn_path(), headers={"Authorization": f"Bearer {self.token}"},
            params={"access_token": wrong}, json={"events": []},
        )  # fmt: skip
        shown = self._error(op, response, 403, "M_FORBIDDEN")
        return "pass", f"the right token in the header, another as access_token: {shown}"

    def legacy_query_token(self) -> tuple[Outcome, str]:
        schemes = OPERATIONS["sendTransaction"].auth(self.release)
        if not any(s.kind == "query" for s in schemes):
            return "n/a", f"{self.release} has no access_token query parameter"
        response = self._exchange(
            "PUT", self.base + self._txn_path(), params={"access_token": self.token},
            json={"events": []},
        )  # fmt: skip
        self._empty_ok(OPERATIONS["sendTransaction"], response)
        return "pass", "the token as access_token query parameter only: 200 {}"

    def unknown_route(self) -> tuple[Outcome, str]:
        response = self._send("GET", "/_matrix/app/v1/probe-unknown-route")
        return "pass", self._error(OPERATIONS["ping"], response, 404, "M_UNRECOGNIZED")

    def wrong_method(self) -> tuple[Outcome, str]:
        op = OPERATIONS["sendTransaction"]
        response = self._send("DELETE", self._txn_path())
        return (
            "pass",
            f"DELETE on the transactions route: {self._error(op, response, 405, 'M_UNRECOGNIZED')}",
        )

    def malformed_json(self) -> tuple[Outcome, str]:
        op = OPERATIONS["sendTransaction"]
        response = self._send(
            "PUT",
            self._txn_path(),
            content=b'{"events": [',
            headers={"Content-Type": "application/json"},
        )
        return "pass", f"a cut-off JSON body: {self._error(op, response, 400, 'M_NOT_JSON')}"

    def schema_violation(self) -> tuple[Outcome, str]:
        op = OPERATIONS["sendTransaction"]
        response = self._send("PUT", self._txn_path(), json={"events": "not a list"})
        return "pass", f"events that is not a list: {self._error(op, response, 400, 'M_BAD_JSON')}"

    def oversized_body(self) -> tuple[Outcome, str]:
        import httpx

        op = OPERATIONS["sendTransaction"]

        def chunks() -> Iterator[bytes]:
            yield b'{"events": ['
            for _ in range(OVERSIZED_BYTES // len(_CHUNK)):
                yield _CHUNK

        size = 12 + OVERSIZED_BYTES // len(_CHUNK) * len(_CHUNK)
        headers = {"Content-Type": "application/json", "Content-Length": str(size)}
        try:
            response = self._send("PUT", self._txn_path(), content=chunks(), headers=headers)
        except (httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError) as exc:
            return (
                "pass",
                f"a 64 MiB body: the connection was closed without an answer ({type(exc).__name__})",
            )
        return "pass", f"a 64 MiB body: {self._error(op, response, 413, 'M_TOO_LARGE')}"

    def ping(self) -> tuple[Outcome, str]:
        op = OPERATIONS["ping"]
        if not op.exists_in(self.release):
            return "n/a", f"{self.release} has no ping (added in {op.releases[0]})"
        response = self._send("POST", op.path(self.release), json={"transaction_id": "probe-ping"})
        self._empty_ok(op, response)
        return "pass", "200 {}"

    def _query(self, op: Operation[Any, Any], **path: str) -> tuple[Outcome, str]:
        response = self._send("GET", op.format_path(self.release, **path))
        status = response.status_code
        if status == 200:
            self._empty_ok(op, response)
            return "pass", "200 {}"
        if status == 404:
            body = self._validated(op, response)
            return "pass", f"404 {self._shown(body['errcode'])}"
        raise _Failed(
            f"expected 200 {{}} or 404 with an errcode, got {status} {self._shown(response.text, 60)!r}"
        )

    def user_query(self) -> tuple[Outcome, str]:
        return self._query(OPERATIONS["queryUserById"], userId=self.samples.user)

    def alias_query(self) -> tuple[Outcome, str]:
        return self._query(OPERATIONS["queryRoomByAlias"], roomAlias=self.samples.alias)

    def _field_types(self, protocol: dict[str, Any]) -> None:
        """Every field a protocol names in ``user_fields`` and ``location_fields`` has its
        ``field_types`` entry (the schema cannot say so)."""
        names = [*protocol.get("user_fields", []), *protocol.get("location_fields", [])]
        missing = [n for n in dict.fromkeys(names) if n not in protocol.get("field_types", {})]
        if missing:
            shown = self._shown(", ".join(repr(n) for n in missing[:5]), 120)
            raise _Failed(f"answered 200, but field_types has no entry for {shown}")

    def _lookup(
        self, op_name: str, params: dict[str, str], path: dict[str, str]
    ) -> Callable[[], tuple[Outcome, str]]:
        op = OPERATIONS[op_name]

        def check() -> tuple[Outcome, str]:
            if not op.exists_in(self.release):
                return "n/a", f"{self.release} has no {op.name}"
            response = self._send("GET", op.format_path(self.release, **path), params=params)
            status = response.status_code
            if status not in (200, 404):
                raise _Failed(
                    f"expected 200 or 404 with an errcode, got {status} {self._shown(response.text, 60)!r}"
                )
            body = self._validated(op, response)
            if status == 200:
                if op_name == "getProtocolMetadata":
                    self._field_types(body)
                return "pass", f"200, a valid {type_name(op.responses[200])}"
            return "pass", f"404 {self._shown(body['errcode'])}"

        return check
