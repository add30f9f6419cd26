"""Every rule the official text of v1.19, v1.4, v1.1 and r0.1.0 states about appservices is in
that release's document, with the official level, and no other rule is.

The tables below are the result of reading each official text (the Application Service API
and the Client-Server passages about appservices) statement by statement, written apart from
``spec/rules/`` on purpose: a rule lost, invented, moved to another release or given another
level in the sources makes this test fail. How the official text phrases a statement
("should", "will", "can", a schema's ``required``) decides the level; ``stated`` in the rule
records which of these it was.
"""

from __future__ import annotations

import re

import pytest

from codegen.spec import Spec

# r0.1.0: the first release (no Authorization section; the token in the query string is only
# in the endpoint definitions; timestamps left out of the release).
R0_1_0 = {
    "as.passive": "MUST NOT", "as.inject": "MAY", "auth.hs-sends-token": "MUST",
    "cs.extensions-supported": "MUST", "cs.as-token": "SHOULD", "cs.header": "SHOULD",
    "external-url.include": "SHOULD", "external-url.offer": "SHOULD",
    "external-url.scheme": "SHOULD", "external-url.not-proof": "SHOULD",
    "identity.scope": "MUST", "identity.user-in-namespace": "MUST",
    "identity.default-user": "MUST", "identity.whoami-registered": "SHOULD",
    "identity.joined-members": "MUST", "sync.virtual-user": "MUST", "legacy.v1-first": "SHOULD",
    "legacy.fall-back": "SHOULD", "legacy.retry-v1": "SHOULD", "namespaces.users": "MUST",
    "namespaces.rooms": "MUST", "namespaces.aliases": "MUST", "namespaces.optional": "MAY",
    "namespaces.fields": "MUST", "namespaces.regex": "MUST", "namespaces.exclusive": "MUST NOT",
    "namespaces.underscore": "SHOULD", "namespaces.name-service": "SHOULD",
    "txn.linearised": "SHOULD", "txn.queue": "MUST", "txn.backoff": "SHOULD",
    "txn.non-blocking": "MAY", "txn.same-on-retry": "MUST NOT", "txn.acknowledge": "MUST",
    "txn.repeat-may-noop": "MAY", "txn.state-key": "SHOULD",
    "query.user-namespace-only": "MUST NOT", "query.alias-namespace-only": "MUST NOT",
    "query.create-if-desired": "SHOULD", "query.user-created": "MUST",
    "query.alias-created": "MUST", "query.alias-room-setup": "MAY", "query.user-answer": "MUST",
    "query.alias-answer": "MUST", "query.retry": "SHOULD", "query.timeout-408": "SHOULD",
    "permissions.full-control": "MUST", "register.appservice-type": "MUST",
    "exclusive.outside-create": "MUST", "exclusive.inside-others": "MUST",
    "register.available": "SHOULD", "registration.by-configuration": "MUST",
    "registration.required-keys": "MUST", "registration.unique": "MUST",
    "registration.enforce-unique": "MUST", "registration.id-never-changes": "MUST NOT",
    "registration.url": "MAY", "registration.rate-limited": "MUST", "directory.publish": "MAY",
    "publicrooms.one-network": "MUST NOT", "thirdparty.declare-protocols": "MAY",
    "thirdparty.populate-directory": "MAY", "thirdparty.fields-passed": "MUST",
    "thirdparty.field-types": "MUST", "thirdparty.fields-ordered": "SHOULD",
    "thirdparty.answers": "MUST",
}  # fmt: skip
# r0.1.1 added the Authorization section: an appservice verifies the token (v1.1 has it).
V1_1 = R0_1_0 | {
    "auth.as-verifies-token": "MUST",
}  # fmt: skip
# v1.2 appservice login, v1.3 timestamp massaging, v1.4 the bearer header (and the query
# parameter only for legacy appservices).
V1_4 = V1_1 | {
    "auth.query-only-for-legacy": "SHOULD", "auth.query-with-header": "SHOULD",
    "auth.both-match": "SHOULD", "login.appservice-type": "MUST", "login.as-token": "MUST",
    "login.forbidden": "MUST", "exclusive.outside-login": "MUST", "ts.set": "MAY",
    "ts.bad-value": "SHOULD", "ts.default-now": "MUST", "ts.endpoints": "MUST NOT",
    "ts.order-unchanged": "MUST NOT",
}  # fmt: skip
# v1.5 local users only, v1.6 unknown routes, v1.7 pinging, v1.10 a wrong as_token on /register
# and /login, v1.11 the sender_localpart's events, v1.13 ephemeral data, v1.17 devices,
# cross-signing and the servers without the legacy authentication API.
V1_19 = V1_4 | {
    "devices.create": "MAY", "devices.delete-without-uia": "MUST NOT",
    "cross-signing.without-uia": "MUST NOT", "identity.device": "MAY",
    "identity.unknown-device": "MUST", "identity.device-of-sender": "MUST",
    "identity.no-device": "MUST", "auth.bad-as-token": "MUST",
    "login.not-without-legacy": "MUST NOT", "login.unsupported": "MUST",
    "namespaces.users-local-only": "MUST NOT", "namespaces.sender-localpart": "MUST",
    "ping.may-use": "MAY", "ping.tolerate-temporary": "SHOULD", "ping.acknowledge": "MUST",
    "ping.appservice-only": "MUST NOT", "ping.own-id": "MUST", "ping.calls-appservice": "MUST",
    "ephemeral.send": "MUST", "ephemeral.omit-empty": "MAY", "ephemeral.presence": "MUST",
    "ephemeral.typing": "MUST", "ephemeral.receipt": "MUST", "ephemeral.room-id": "MUST",
    "ephemeral.private-receipts": "MUST", "register.without-legacy-auth": "MUST",
    "register.inhibit-login": "MUST", "register.login-unsupported": "MUST",
    "unknown.404": "MUST", "unknown.405": "MUST",
}  # fmt: skip
OFFICIAL = {"r0.1.0": R0_1_0, "v1.1": V1_1, "v1.4": V1_4, "v1.19": V1_19}
RULE = re.compile(r"^- _`([a-z0-9.-]+)` \((MUST NOT|MUST|SHOULD NOT|SHOULD|MAY), binds ", re.M)


@pytest.mark.parametrize("release", sorted(OFFICIAL))
def test_the_document_states_the_official_rules_with_their_levels(
    spec: Spec, documents: dict[str, str], release: str
) -> None:
    stated = dict(RULE.findall(documents[release]))
    official = OFFICIAL[release]
    assert sorted(set(official) - set(stated)) == [], "official rules missing"
    assert sorted(set(stated) - set(official)) == [], "rules the official text does not state"
    assert {k: v for k, v in stated.items() if official[k] != v} == {}, "levels differ"
    assert len(stated) == len(spec.ir.rules.rules(release))
