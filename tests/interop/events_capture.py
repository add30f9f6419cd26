"""Drive a real Synapse to push every kind of event an appservice handles, and record them.

A normal user (bob) and an appservice user (bridge_alice) share a room. Bob writes
messages of every msgtype, edits, replies, threads, reacts, redacts, sends stickers,
calls and an in-room verification, and changes every piece of state; both users type,
send receipts and presence, and bob sends to-device messages to bridge_alice's device.
Synapse pushes all of it to the recording appservice, as it would to a bridge.

``python -m tests.interop.events_capture`` writes the transactions to
:data:`FIXTURE`, the real events that the tests without Synapse and ``bench/events.py``
read; ``tests/interop/test_events_synapse.py`` runs the same script against a fresh Synapse.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tests.interop import synapse
from tests.interop.recorder import RecordingAppservice

FIXTURE = Path(__file__).parent / "fixtures" / "synapse_transactions.json"
AS_TOKEN = "as_token_events_0123456789"
HS_TOKEN = "hs_token_events_9876543210"
REGISTRATION = """\
id: events-bridge
url: "http://127.0.0.1:{port}"
as_token: "{as_token}"
hs_token: "{hs_token}"
sender_localpart: eventsbot
rate_limited: false
receive_ephemeral: true
de.sorunome.msc2409.push_ephemeral: true
namespaces:
  users: [{{exclusive: true, regex: '@bridge_.*:localhost'}}]
  aliases: [{{exclusive: true, regex: '#bridge_.*:localhost'}}]
  rooms: []
"""
EXTRA_CONFIG = """\
presence: {enabled: true}
experimental_features: {msc2409_to_device_messages_enabled: true}
"""
ALICE = "@bridge_alice:localhost"
_TXN = itertools.count()


@dataclass
class Sent:
    """What the script made Synapse push: types by kind, and msgtypes."""

    room: set[str] = field(default_factory=set)
    msgtypes: set[str] = field(default_factory=set)
    ephemeral: set[str] = field(default_factory=set)
    to_device: set[str] = field(default_factory=set)
    last_event: str = ""


class _Actor:
    def __init__(self, client: httpx.Client, token: str, user_id: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.query = {"user_id": user_id} if user_id else {}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.client.request(
            method, "/_matrix/client/v3" + path, json=body, headers=self.headers,
            params=self.query,
        )  # fmt: skip
        assert answer.status_code == 200, (method, path, answer.status_code, answer.text)
        return answer.json()

    def send(self, room: str, event_type: str, content: dict[str, Any]) -> str:
        path = f"/rooms/{quote(room)}/send/{event_type}/t{next(_TXN)}"
        event_id: str = self.call("PUT", path, content)["event_id"]
        return event_id

    def state(self, room: str, event_type: str, content: dict[str, Any], key: str = "") -> str:
        path = f"/rooms/{quote(room)}/state/{event_type}/{quote(key, safe='')}"
        event_id: str = self.call("PUT", path, content)["event_id"]
        return event_id


def _mxc(name: str) -> str:
    return f"mxc://localhost/{name}"


_FILE_KEY = {
    "kty": "oct", "key_ops": ["encrypt", "decrypt"], "alg": "A256CTR",
    "k": "qcHVMSgYg-71CauWBezXI5qkaRb0LuIy-Wx5kIaHMIA", "ext": True,
}  # fmt: skip


def _encrypted_file(name: str) -> dict[str, Any]:
    return {
        "url": _mxc(name), "key": _FILE_KEY, "iv": "X85+XgHN+HEAAAAAAAAAAA",
        "hashes": {"sha256": "5qG4fFnbbVdlAB1Q72ltP0EUm7WEUJLK0jnGHqo/Gs8"}, "v": "v2",
    }  # fmt: skip


def _messages(bob: _Actor, room: str, sent: Sent) -> str:
    """Every msgtype, an edit, a reply, a thread and mentions; returns a message's ID."""
    thumb = {"h": 60, "w": 80, "mimetype": "image/jpeg", "size": 2048}
    contents: list[dict[str, Any]] = [
        {"msgtype": "m.text", "body": "hello bridge", "m.mentions": {}},
        {"msgtype": "m.text", "body": "**bold** move", "format": "org.matrix.custom.html",
         "formatted_body": "<b>bold</b> move", "m.mentions": {"user_ids": [ALICE]}},
        {"msgtype": "m.emote", "body": "waves"},
        {"msgtype": "m.notice", "body": "the build passed"},
        {"msgtype": "m.image", "body": "cat.png", "url": _mxc("cat"),
         "info": {"h": 480, "w": 640, "mimetype": "image/png", "size": 40960,
                  "thumbnail_url": _mxc("catthumb"), "thumbnail_info": thumb}},
        {"msgtype": "m.image", "body": "a secret cat", "filename": "secret.png",
         "file": _encrypted_file("secretcat"), "info": {"mimetype": "image/png", "size": 512}},
        {"msgtype": "m.file", "body": "notes.pdf", "filename": "notes.pdf", "url": _mxc("notes"),
         "info": {"mimetype": "application/pdf", "size": 10240}},
        {"msgtype": "m.audio", "body": "voice.ogg", "url": _mxc("voice"),
         "info": {"duration": 2500, "mimetype": "audio/ogg", "size": 9000}},
        {"msgtype": "m.video", "body": "clip.mp4", "url": _mxc("clip"),
         "info": {"duration": 4000, "h": 720, "w": 1280, "mimetype": "video/mp4",
                  "size": 900000, "thumbnail_url": _mxc("clipthumb"), "thumbnail_info": thumb}},
        {"msgtype": "m.location", "body": "the office", "geo_uri": "geo:51.5008,0.1247"},
        {"msgtype": "m.server_notice", "body": "maintenance tonight",
         "server_notice_type": "m.server_notice.usage_limit_reached",
         "admin_contact": "mailto:admin@localhost", "limit_type": "monthly_active_user"},
    ]  # fmt: skip
    first = ""
    for content in contents:
        event_id = bob.send(room, "m.room.message", content)
        first = first or event_id
        sent.msgtypes.add(content["msgtype"])
    sent.room.add("m.room.message")
    bob.send(room, "m.room.message", {
        "msgtype": "m.text", "body": "* hello bridge, again",
        "m.new_content": {"msgtype": "m.text", "body": "hello bridge, again"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": first},
    })  # fmt: skip
    bob.send(room, "m.room.message", {
        "msgtype": "m.text", "body": "a reply", "m.relates_to": {"m.in_reply_to": {"event_id": first}},
    })  # fmt: skip
    bob.send(room, "m.room.message", {
        "msgtype": "m.text", "body": "in the thread",
        "m.relates_to": {"rel_type": "m.thread", "event_id": first, "is_falling_back": True,
                         "m.in_reply_to": {"event_id": first}},
    })  # fmt: skip
    bob.send(room, "m.room.message", {
        "msgtype": "m.text", "body": "see above",
        "m.relates_to": {"rel_type": "m.reference", "event_id": first},
    })  # fmt: skip
    return first


def _chatter(bob: _Actor, alice: _Actor, room: str, first: str) -> None:
    """A conversation, as a busy bridged room has: text, replies, edits and reactions."""
    last = first
    for n in range(48):
        who = bob if n % 3 else alice
        kind = n % 6
        if kind == 0:
            content: dict[str, Any] = {"msgtype": "m.text", "body": f"message number {n}"}
        elif kind == 1:
            content = {"msgtype": "m.text", "body": f"> earlier\n\nanswer {n}",
                       "m.relates_to": {"m.in_reply_to": {"event_id": last}}}  # fmt: skip
        elif kind == 2:
            content = {"msgtype": "m.notice", "body": f"notice {n}"}
        elif kind == 3:
            who.send(
                room,
                "m.reaction",
                {"m.relates_to": {"rel_type": "m.annotation", "event_id": last, "key": f"+{n}"}},
            )
            continue
        elif kind == 4:
            content = {"msgtype": "m.text", "body": f"* corrected {n}",
                       "m.new_content": {"msgtype": "m.text", "body": f"corrected {n}"},
                       "m.relates_to": {"rel_type": "m.replace", "event_id": last}}  # fmt: skip
        else:
            content = {"msgtype": "m.text", "body": f"<b>{n}</b>", "format": "org.matrix.custom.html",
                       "formatted_body": f"<b>{n}</b>", "m.mentions": {"user_ids": [ALICE]}}  # fmt: skip
        last = who.send(room, "m.room.message", content)


def _verification(bob: _Actor, room: str, sent: Sent) -> None:
    request = bob.send(room, "m.room.message", {
        "msgtype": "m.key.verification.request", "body": "bob wants to verify",
        "from_device": "BOBDEV", "methods": ["m.sas.v1"], "to": ALICE,
    })  # fmt: skip
    sent.msgtypes.add("m.key.verification.request")
    rel = {"m.relates_to": {"rel_type": "m.reference", "event_id": request}}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("m.key.verification.ready", {"from_device": "BOBDEV", "methods": ["m.sas.v1"]}),
        ("m.key.verification.start", {
            "from_device": "BOBDEV", "method": "m.sas.v1",
            "key_agreement_protocols": ["curve25519-hkdf-sha256"], "hashes": ["sha256"],
            "message_authentication_codes": ["hkdf-hmac-sha256.v2"],
            "short_authentication_string": ["decimal", "emoji"]}),
        ("m.key.verification.accept", {
            "key_agreement_protocol": "curve25519-hkdf-sha256", "hash": "sha256",
            "message_authentication_code": "hkdf-hmac-sha256.v2",
            "short_authentication_string": ["decimal"], "commitment": "Y29tbWl0bWVudA"}),
        ("m.key.verification.key", {"key": "a2V5IG9mIGJvYg"}),
        ("m.key.verification.mac", {"mac": {"ed25519:BOBDEV": "bWFj"}, "keys": "a2V5cw"}),
        ("m.key.verification.done", {}),
        ("m.key.verification.cancel", {"code": "m.user", "reason": "done testing"}),
    ]  # fmt: skip
    for event_type, content in steps:
        bob.send(room, event_type, {**content, **rel})
        sent.room.add(event_type)


def _calls(bob: _Actor, room: str, sent: Sent) -> None:
    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
    base = {"call_id": "call-1", "party_id": "BOBDEV", "version": "1"}
    meta = {"stream-1": {"purpose": "m.usermedia", "audio_muted": False, "video_muted": True}}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("m.call.invite", {"lifetime": 60000, "offer": offer, "sdp_stream_metadata": meta}),
        ("m.call.candidates", {"candidates": [
            {"candidate": "candidate:1 1 udp 2122260223 10.0.0.1 4000 typ host",
             "sdpMid": "0", "sdpMLineIndex": 0}]}),
        ("m.call.answer", {"answer": {"type": "answer", "sdp": offer["sdp"]}}),
        ("m.call.select_answer", {"selected_party_id": "ALICEDEV"}),
        ("m.call.negotiate", {"lifetime": 10000, "description": offer}),
        ("m.call.sdp_stream_metadata_changed", {"sdp_stream_metadata": meta}),
        ("m.call.reject", {}),
        ("m.call.hangup", {"reason": "user_hangup"}),
    ]  # fmt: skip
    for event_type, content in calls:
        bob.send(room, event_type, {**base, **content})
        sent.room.add(event_type)


def _other_messages(bob: _Actor, room: str, first: str, sent: Sent) -> None:
    bob.send(room, "m.reaction", {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": first, "key": "👍"}
    })  # fmt: skip
    bob.send(room, "m.sticker", {
        "body": "party", "url": _mxc("party"),
        "info": {"h": 128, "w": 128, "mimetype": "image/png", "size": 3000},
    })  # fmt: skip
    bob.send(room, "m.room.encrypted", {
        "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEpABm6eIX0bqbHk8JKTt",
        "session_id": "c2Vzc2lvbiBvZiBib2I",
    })  # fmt: skip
    taken_back = bob.send(room, "m.room.message", {"msgtype": "m.text", "body": "oops"})
    bob.call("PUT", f"/rooms/{quote(room)}/redact/{quote(taken_back)}/r{next(_TXN)}",
             {"reason": "typo"})  # fmt: skip
    sent.room |= {"m.reaction", "m.sticker", "m.room.encrypted", "m.room.redaction"}


def _state(bob: _Actor, alice: _Actor, room: str, space: str, first: str, sent: Sent) -> None:
    alice.call("PUT", f"/directory/room/{quote('#bridge_room:localhost')}", {"room_id": room})
    levels = bob.call("GET", f"/rooms/{quote(room)}/state/m.room.power_levels/")
    levels["events"]["m.room.pinned_events"] = 50
    levels["users"][ALICE] = 50
    state: list[tuple[str, dict[str, Any], str]] = [
        ("m.room.name", {"name": "Bridged room"}, ""),
        ("m.room.topic", {"topic": "all about bridges", "m.topic": {"m.text": [
            {"mimetype": "text/html", "body": "all about <b>bridges</b>"},
            {"body": "all about bridges"}]}}, ""),
        ("m.room.avatar", {"url": _mxc("roomavatar"),
                           "info": {"h": 64, "w": 64, "mimetype": "image/png", "size": 800}}, ""),
        ("m.room.canonical_alias", {"alias": "#bridge_room:localhost", "alt_aliases": []}, ""),
        ("m.room.join_rules", {"join_rule": "restricted",
                               "allow": [{"type": "m.room_membership", "room_id": space}]}, ""),
        ("m.room.history_visibility", {"history_visibility": "invited"}, ""),
        ("m.room.guest_access", {"guest_access": "forbidden"}, ""),
        ("m.room.power_levels", levels, ""),
        ("m.room.pinned_events", {"pinned": [first]}, ""),
        ("m.room.server_acl", {"allow": ["*"], "deny": ["evil.example"],
                               "allow_ip_literals": False}, ""),
        ("m.room.third_party_invite", {
            "display_name": "c...@example.org",
            "key_validity_url": "https://id.example.org/_matrix/identity/v2/pubkey/isvalid",
            "public_key": "cHVibGljIGtleQ",
            "public_keys": [{"public_key": "cHVibGljIGtleQ"}]}, "aW52aXRlIHRva2Vu"),
        ("m.space.parent", {"via": ["localhost"], "canonical": True}, space),
        ("m.space.child", {"via": ["localhost"], "suggested": False}, space),
        ("m.policy.rule.user", {"entity": "@spam*:example.org", "recommendation": "m.ban",
                                "reason": "spam"}, "rule-1"),
        ("m.policy.rule.room", {"entity": "!bad:example.org", "recommendation": "m.ban",
                                "reason": "abuse"}, "rule-2"),
        ("m.policy.rule.server", {"entity": "evil.example", "recommendation": "m.ban",
                                  "reason": "abuse"}, "rule-3"),
        ("m.room.policy", {"via": "localhost",
                           "public_keys": {"ed25519": "cG9saWN5IGtleQ"}}, ""),
        ("m.room.image_pack", {"images": {"wave": {"url": _mxc("wave"), "body": "a wave"}},
                               "pack": {"display_name": "Bridge emotes"}}, "default"),
    ]  # fmt: skip
    for event_type, content, key in state:
        bob.state(room, event_type, content, key)
        sent.room.add(event_type)
    alice.state(room, "m.room.member", {"membership": "join", "displayname": "Alice (bridged)",
                                        "avatar_url": _mxc("alice")}, ALICE)  # fmt: skip
    sent.room |= {"m.room.create", "m.room.member"}


def _to_device(bob: _Actor, device: str, sent: Sent) -> None:
    megolm = {"algorithm": "m.megolm.v1.aes-sha2", "room_id": "!r:localhost",
              "session_id": "c2Vzc2lvbg", "session_key": "c2Vzc2lvbiBrZXk"}  # fmt: skip
    messages: list[tuple[str, dict[str, Any]]] = [
        ("m.room.encrypted", {"algorithm": "m.olm.v1.curve25519-aes-sha2",
                              "sender_key": "Ym9iIGN1cnZlIGtleQ",
                              "ciphertext": {"YWxpY2Uga2V5": {"type": 0, "body": "b2xt"}}}),
        ("m.room_key", megolm),
        ("m.forwarded_room_key", {**megolm, "sender_key": "Ym9iIGN1cnZlIGtleQ",
                                  "sender_claimed_ed25519_key": "Ym9iIGVkIGtleQ",
                                  "forwarding_curve25519_key_chain": []}),
        ("m.room_key_request", {"action": "request", "requesting_device_id": "BOBDEV",
                                "request_id": "req-1", "body": {
                                    "algorithm": "m.megolm.v1.aes-sha2", "room_id": "!r:localhost",
                                    "session_id": "c2Vzc2lvbg"}}),
        ("m.room_key.withheld", {"algorithm": "m.megolm.v1.aes-sha2", "code": "m.unverified",
                                 "sender_key": "Ym9iIGN1cnZlIGtleQ", "room_id": "!r:localhost",
                                 "session_id": "c2Vzc2lvbg", "reason": "not verified"}),
        ("m.dummy", {}),
        ("m.secret.request", {"name": "m.megolm_backup.v1", "action": "request",
                              "requesting_device_id": "BOBDEV", "request_id": "sec-1"}),
        ("m.secret.send", {"request_id": "sec-1", "secret": "c2VjcmV0"}),
        ("m.key.verification.request", {"from_device": "BOBDEV", "methods": ["m.sas.v1"],
                                        "timestamp": int(time.time() * 1000),
                                        "transaction_id": "v1"}),
        ("m.key.verification.start", {"from_device": "BOBDEV", "method": "m.sas.v1",
                                      "transaction_id": "v1",
                                      "key_agreement_protocols": ["curve25519-hkdf-sha256"],
                                      "hashes": ["sha256"],
                                      "message_authentication_codes": ["hkdf-hmac-sha256.v2"],
                                      "short_authentication_string": ["decimal"]}),
        ("m.key.verification.cancel", {"transaction_id": "v1", "code": "m.timeout",
                                       "reason": "too slow"}),
    ]  # fmt: skip
    for event_type, content in messages:
        bob.call("PUT", f"/sendToDevice/{event_type}/d{next(_TXN)}",
                 {"messages": {ALICE: {device: content}}})  # fmt: skip
        sent.to_device.add(event_type)


def _ephemeral(bob: _Actor, alice: _Actor, room: str, first: str, sent: Sent) -> None:
    bob.call("PUT", "/presence/@bob:localhost/status",
             {"presence": "online", "status_msg": "testing the bridge"})  # fmt: skip
    bob.call("PUT", f"/rooms/{quote(room)}/typing/@bob:localhost",
             {"typing": True, "timeout": 30000})  # fmt: skip
    bob.call("POST", f"/rooms/{quote(room)}/receipt/m.read/{quote(first)}", {})
    bob.call("POST", f"/rooms/{quote(room)}/receipt/m.read/{quote(first)}", {"thread_id": "main"})
    alice.call("POST", f"/rooms/{quote(room)}/receipt/m.read.private/{quote(first)}", {})
    sent.ephemeral |= {"m.presence", "m.typing", "m.receipt"}


def produce(base_url: str) -> Sent:
    """Run the script against a Synapse whose appservice is registered with
    :data:`REGISTRATION`; returns what should arrive."""
    sent = Sent()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        bot = _Actor(client, AS_TOKEN)
        made = bot.call("POST", "/register",
                        {"type": "m.login.application_service", "username": "bridge_alice"})  # fmt: skip
        alice = _Actor(client, AS_TOKEN, ALICE)
        bob_login = synapse.register_user(base_url, "bob")
        bob = _Actor(client, bob_login["access_token"])
        space = alice.call("POST", "/createRoom", {"creation_content": {"type": "m.space"},
                                                   "preset": "public_chat"})["room_id"]  # fmt: skip
        room = bob.call("POST", "/createRoom", {"preset": "private_chat"})["room_id"]
        bob.call("POST", f"/rooms/{quote(room)}/invite", {"user_id": ALICE, "reason": "join us"})
        alice.call("POST", f"/join/{quote(room)}", {})
        first = _messages(bob, room, sent)
        _chatter(bob, alice, room, first)
        _verification(bob, room, sent)
        _calls(bob, room, sent)
        _other_messages(bob, room, first, sent)
        _state(bob, alice, room, space, first, sent)
        _ephemeral(bob, alice, room, first, sent)
        _to_device(bob, made["device_id"], sent)
        bob.state(room, "m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"})
        bob.state(room, "m.room.tombstone", {"body": "moved", "replacement_room": space})
        sent.room |= {"m.room.encryption", "m.room.tombstone"}
        sent.last_event = bob.send(room, "m.room.message", {"msgtype": "m.text", "body": "bye"})
    return sent


def load_capture(path: Path = FIXTURE) -> dict[str, Any]:
    """A capture written by :func:`main`: ``{"synapse": version, "transactions": [...]}``."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def transactions(appservice: RecordingAppservice) -> list[dict[str, Any]]:
    """The transaction bodies the appservice has received, in order."""
    return [
        json.loads(r.body)
        for r in list(appservice.requests)
        if r.method == "PUT" and "/transactions/" in r.path
    ]


def arrived(bodies: list[dict[str, Any]]) -> Sent:
    got = Sent()
    for body in bodies:
        for event in body.get("events", []):
            got.room.add(event["type"])
            if event["type"] == "m.room.message":
                got.msgtypes.add(event["content"].get("msgtype", ""))
            got.last_event = event["event_id"] if event["event_id"] else got.last_event
        got.ephemeral |= {e["type"] for e in body.get("ephemeral", [])}
        got.to_device |= {e["type"] for e in body.get("de.sorunome.msc2409.to_device", [])}
    return got


def wait_for_all(appservice: RecordingAppservice, sent: Sent, timeout: float = 60) -> None:
    """Wait until every type sent has arrived at least once (AssertionError otherwise)."""
    deadline = time.monotonic() + timeout
    while True:
        got = arrived(transactions(appservice))
        missing = {
            "room": sent.room - got.room, "msgtypes": sent.msgtypes - got.msgtypes,
            "ephemeral": sent.ephemeral - got.ephemeral, "to_device": sent.to_device - got.to_device,
        }  # fmt: skip
        if not any(missing.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"never pushed by Synapse: {missing}")
        time.sleep(0.2)


@contextmanager
def running(workdir: Path) -> Iterator[tuple[synapse.Synapse, RecordingAppservice]]:
    def registration(port: int) -> str:
        return REGISTRATION.format(port=port, as_token=AS_TOKEN, hs_token=HS_TOKEN)

    with synapse.with_recorder(workdir, registration, HS_TOKEN, extra=EXTRA_CONFIG) as world:
        yield world


def main(argv: list[str]) -> int:
    import tempfile

    out = Path(argv[0]) if argv else FIXTURE
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp)) as (server, appservice):
        sent = produce(server.base_url)
        wait_for_all(appservice, sent)
        bodies = transactions(appservice)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"synapse": synapse.SYNAPSE_VERSION, "transactions": bodies}
    out.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out}: {len(bodies)} transactions, {sum(len(b.get('events', [])) for b in bodies)} "
          "room events")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
