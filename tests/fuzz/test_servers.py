"""Schemathesis fuzzing of the appservice server and the in-memory homeserver.

Both are driven by the bundled OpenAPI of the release under test (generated/openapi/), the
appservice server with its application-service operations, the homeserver with its
Client-Server operations. Positive cases (valid requests) must get an answer the spec
documents for the operation, with a body valid against its schema; negative cases (requests
that break the schema) must never get a 5xx or an answer whose body breaks the schema of its
status. Generation is derandomized, so every run sends the same cases.
"""

from __future__ import annotations

from typing import Any

import httpx
from matrix_appservice.errors import NotFoundError
from matrix_appservice.homeserver import HomeserverHandler, InMemoryHomeserver
from matrix_appservice.operations import OPERATIONS
from matrix_appservice.server import AppServiceHandler, create_app
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
)

from tests.fuzz.support import RELEASE, fuzz
from tests.python.homeserver.support import AS_TOKEN, HS_TOKEN, loaded, registration

POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# Cases per operation: 9 appservice operations, 18 Client-Server ones in v1.19.
AS_EXAMPLES = {POSITIVE: 60, NEGATIVE: 25}
HS_EXAMPLES = {POSITIVE: 35, NEGATIVE: 15}
# Breaking the schema may be answered with any error, documented or not (the spec leaves
# 400 out of most appservice operations); what it may not be is a crash or a malformed body.
NEGATIVE_CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


class Answering(AppServiceHandler):
    """Answers the lookups for the protocol ``irc`` and the queries inside the namespaces, so
    that 200 answers are fuzzed too, not only the 404 of a handler that knows nothing."""

    async def get_protocol_metadata(self, protocol: str) -> Any:
        if protocol != "irc":
            raise NotFoundError()
        return {
            "user_fields": ["nick"],
            "location_fields": ["channel"],
            "icon": "mxc://localhost/irc",
            "field_types": {
                "nick": {"regexp": "[^\\s]+", "placeholder": "alice"},
                "channel": {"regexp": "#[^\\s]+", "placeholder": "#matrix"},
            },
            "instances": [{"desc": "Libera", "network_id": "libera", "fields": {}}],
        }

    async def query_user_by_protocol(self, protocol: str, fields: dict[str, str]) -> Any:
        if protocol != "irc":
            raise NotFoundError()
        return [{"userid": "@_irc_alice:localhost", "protocol": "irc", "fields": fields}]

    async def query_location_by_protocol(self, protocol: str, fields: dict[str, str]) -> Any:
        if protocol != "irc":
            raise NotFoundError()
        return [{"alias": "#_irc_matrix:localhost", "protocol": "irc", "fields": fields}]

    async def query_user_by_id(self, *, userid: str | None = None) -> Any:
        user_id = userid
        if user_id is None or not user_id.startswith("@_irc_"):
            raise NotFoundError()
        return [{"userid": user_id, "protocol": "irc", "fields": {"nick": user_id[6:]}}]

    async def query_user(self, user_id: str) -> Any:
        if not user_id.startswith("@_irc_"):
            raise NotFoundError()
        return {}

    async def query_room_alias(self, alias: str) -> Any:
        if not alias.startswith("#_irc_"):
            raise NotFoundError()
        return {}


def test_appservice_server_answers_every_generated_case_as_the_spec_says() -> None:
    app = create_app(registration(url="http://appservice"), Answering(), version=RELEASE)
    run = fuzz(
        app,
        "application-service",
        {"Authorization": f"Bearer {HS_TOKEN}"},
        examples=AS_EXAMPLES,
        only_checks={NEGATIVE: NEGATIVE_CHECKS},
    )
    assert run.failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in run.failures.items())
    assert len({key.split(" ")[0] for key in run.cases}) == 9
    assert run.total >= 600, run.cases
    print(f"appservice server: {run.total} cases, no failure")


def _unrecognized(response: Any) -> bool:
    body = response.json() if response.status_code == 404 else None
    return isinstance(body, dict) and body.get("errcode") == "M_UNRECOGNIZED"


def test_in_memory_homeserver_answers_every_generated_case_as_the_spec_says() -> None:
    appservice = create_app(registration(url="http://appservice"), Answering(), version=RELEASE)
    hs = InMemoryHomeserver(
        loaded(registration(url="http://appservice")),
        version=RELEASE,
        appservice_transport=httpx.ASGITransport(app=appservice),
    )
    # Operations the in-memory homeserver does not implement answer, once authentication
    # and identity assertion passed, as the Client-Server API says of an endpoint a server
    # does not serve: 404 M_UNRECOGNIZED. Every other answer of theirs is checked as usual.
    not_served = {
        op.name: _unrecognized
        for op in OPERATIONS.values()
        if op.api == "client-server"
        and getattr(InMemoryHomeserver, op.python_name)
        is getattr(HomeserverHandler, op.python_name)
    }
    run = fuzz(
        hs.app,
        "client-server",
        {"Authorization": f"Bearer {AS_TOKEN}"},
        examples=HS_EXAMPLES,
        # A valid request can still name a room, device or user that does not exist; the
        # 400/403/404 it gets is checked against the operation's documented answers instead.
        excluded_checks={POSITIVE: [positive_data_acceptance]},
        only_checks={NEGATIVE: NEGATIVE_CHECKS},
        also_accept=not_served,
    )
    assert run.failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in run.failures.items())
    assert len({key.split(" ")[0] for key in run.cases}) == 18
    assert run.total >= 400, run.cases
    print(f"in-memory homeserver: {run.total} cases, no failure")
