"""Checking event contents by type: ``validate(content=True)``, ``event=``, the command line,
the appservice server and the in-memory homeserver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from matrix_appservice import validate
from matrix_appservice.__main__ import main
from matrix_appservice.errors import MatrixError
from matrix_appservice.models import (
    ImageInfo,
    ImageMessageContent,
    RoomTopicContent,
    TextMessageContent,
)

from tests.python.homeserver.support import homeserver
from tests.python.server.support import AUTH, TXN, Recorder, registration, run, serving

CS = "/_matrix/client/v3"


def _event(n: int, event_type: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"$event{n}", "room_id": "!room:example.org", "sender": "@alice:example.org",
        "origin_server_ts": 1_700_000_000_000, "type": event_type, "content": content, **extra,
    }  # fmt: skip


BROKEN = {
    "events": [
        _event(0, "m.room.message", {"msgtype": "m.text", "body": "fine"}),
        _event(1, "m.room.message", {"msgtype": "m.image", "body": "x", "info": {"size": "big"}}),
        _event(2, "m.room.member", {"membership": "joined"}, state_key="@alice:example.org"),
        _event(3, "m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": 5}}),
        _event(4, "org.example.custom", {"anything": ["goes"]}),
        _event(5, "m.room.message", {}, unsigned={"redacted_because": _event(9, "m.room.redaction", {})}),
    ],
    "ephemeral": [{"type": "m.typing", "room_id": "!room:example.org", "content": {"user_ids": [7]}}],
}  # fmt: skip


def _problems(payload: Any, **target: Any) -> list[str]:
    return [str(issue) for issue in validate(payload, **target).errors]


def test_contents_are_checked_only_when_asked() -> None:
    assert validate(BROKEN, request="sendTransaction").valid
    assert _problems(BROKEN, request="sendTransaction", content=True) == [
        '$.events[1].content.info.size: "big" is not of type "integer"',
        '$.events[2].content.membership: "joined" is not one of "invite", "join" or 3 other candidates',
        '$.events[3].content["m.relates_to"].event_id: 5 is not of type "string"',
        '$.ephemeral[0].content.user_ids[0]: 7 is not of type "string"',
    ]


def test_contents_are_checked_by_the_rules_of_the_release() -> None:
    # v1.6 has no m.reaction yet: its content is an unknown type's, checked as nothing
    old = _problems(BROKEN, request="sendTransaction", content=True, version="v1.6")
    assert not any("events[3]" in p for p in old) and any("events[2]" in p for p in old)
    edit = {"msgtype": "m.text", "body": "* fixed", "m.new_content": {"msgtype": "m.text"}}
    assert validate(edit, event="m.room.message", version="v1.3").valid  # no edits yet
    assert _problems(edit, event="m.room.message", version="v1.4") == [
        '$["m.new_content"]: "body" is a required property'
    ]
    redaction = {"redacts": 42}
    assert _problems(redaction, event="m.room.redaction", version="v1.8") == [
        '$.redacts: 42 is not of type "string"'
    ]
    assert validate(redaction, event="m.room.redaction", version="v1.7").valid


@pytest.mark.parametrize(
    ("event", "content", "before", "since", "problem"),
    [
        ("m.room.message", {"msgtype": "m.text", "body": "hi", "m.mentions": {"user_ids": [5]}},
         "v1.6", "v1.7", '$["m.mentions"].user_ids[0]: 5 is not of type "string"'),
        ("m.receipt", {"$e": {"m.read.private": {"@a:example.org": {"ts": "now"}}}},
         "v1.3", "v1.4", '$["$e"]["m.read.private"]["@a:example.org"].ts: "now" is not of type "integer"'),
        ("m.receipt", {"$e": {"m.read": {"@a:example.org": {"ts": 1, "thread_id": 7}}}},
         "v1.3", "v1.4", '$["$e"]["m.read"]["@a:example.org"].thread_id: 7 is not of type "string"'),
        ("m.room.message", {"msgtype": "m.text", "body": "x", "m.relates_to": {"rel_type": "m.thread"}},
         "v1.2", "v1.3", '$["m.relates_to"]: "event_id" is a required property'),
        ("m.room.encrypted", {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "c",
                              "m.relates_to": {"rel_type": "m.annotation", "event_id": "$e", "key": 1}},
         "v1.6", "v1.7", '$["m.relates_to"].key: 1 is not of type "string"'),
        ("m.room.member", {"membership": "join", "join_authorised_via_users_server": 1},
         "v1.1", "v1.2", '$.join_authorised_via_users_server: 1 is not of type "string"'),
    ],
    ids=["mentions", "read-private", "receipt-thread", "relation", "annotation-key", "authorised-via"],
)  # fmt: skip
def test_a_key_is_checked_from_the_release_that_adds_it(
    event: str, content: dict[str, Any], before: str, since: str, problem: str
) -> None:
    """Facts of the official event schemas, release by release: a key a release does not
    define yet is an extension's key, not checked; from its release on it is."""
    assert validate(content, event=event, version=before).valid
    assert _problems(content, event=event, version=since) == [problem]
    assert _problems(content, event=event, version="v1.19") == [problem]


SDP = "v=0\r\n"


@pytest.mark.parametrize(
    ("event", "version", "content", "problem"),
    [
        # m.file has had a filename from the first release (required there), not from v1.10
        ("m.room.message", "r0.1.0", {"msgtype": "m.file", "body": "a.pdf", "url": "mxc://a/b"},
         '$: "filename" is a required property'),
        ("m.room.message", "v1.9", {"msgtype": "m.file", "body": "a.pdf", "filename": 5},
         '$.filename: 5 is not of type "string"'),
        # a call's offer is an offer and its answer an answer; a negotiation, either from v1.9
        ("m.call.invite", "v1.19", {"call_id": "c", "party_id": "p", "version": "1",
                                    "lifetime": 1, "offer": {"type": "answer", "sdp": SDP}},
         '$.offer.type: "offer" was expected'),
        ("m.call.answer", "v1.1", {"call_id": "c", "version": 0,
                                   "answer": {"type": "offer", "sdp": SDP}},
         '$.answer.type: "answer" was expected'),
        ("m.call.negotiate", "v1.8", {"call_id": "c", "party_id": "p", "version": "1",
                                      "lifetime": 1, "offer": {"type": "answer", "sdp": SDP}},
         '$.offer.type: "offer" was expected'),
        ("m.room.policy", "v1.18", {"via": "policy.example.org",
                                    "public_keys": {"ed25519": "k", "other": 1}},
         '$.public_keys.other: 1 is not of type "string"'),
        ("m.room.image_pack", "v1.19", {"images": {}, "pack": {"usage": ["gif"]}},
         '$.pack.usage[0]: "gif" is not one of "emoticon" or "sticker"'),
    ],
    ids=["file-r0", "file-v1.9", "invite-offer", "answer", "negotiate-offer", "policy-keys",
         "pack-usage"],
)  # fmt: skip
def test_contents_follow_the_official_schemas(
    event: str, version: str, content: dict[str, Any], problem: str
) -> None:
    assert _problems(content, event=event, version=version) == [problem]


def test_a_negotiation_carries_an_offer_or_an_answer_from_v1_9() -> None:
    content = {"call_id": "c", "party_id": "p", "version": "1", "lifetime": 1,
               "description": {"type": "answer", "sdp": SDP}}  # fmt: skip
    assert validate(content, event="m.call.negotiate", version="v1.9").valid


def test_a_content_alone_is_checked_by_its_type_and_msgtype() -> None:
    assert _problems({"msgtype": "m.location", "body": "here"}, event="m.room.message") == [
        '$: "geo_uri" is a required property'
    ]
    assert validate({"msgtype": "org.example", "body": "x"}, event="m.room.message").valid
    assert _problems({"msgtype": "m.text"}, event="m.room.message") == [
        '$: "body" is a required property'  # reported once, though two schemas require it
    ]
    with pytest.raises(ValueError, match=r"unknown event 'm\.roommessage' in v1\.19; did you mean"):
        validate({}, event="m.roommessage")
    with pytest.raises(ValueError, match="exactly one of"):
        validate({}, event="m.typing", schema="ClientEvent")


def test_the_command_line_checks_contents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(BROKEN))
    assert main(["validate", "--request", "sendTransaction", str(path)]) == 0
    assert main(["validate", "--request", "sendTransaction", "--content", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: INVALID (v1.19)" in out and "$.events[1].content.info.size" in out
    typing = tmp_path / "typing.json"
    typing.write_text('{"user_ids": ["@bob:example.org"]}')
    assert main(["validate", "--event", "m.typing", str(typing)]) == 0
    assert main(["validate", "--registration", "--content", str(path)]) == 2
    assert "--content applies to payloads" in capsys.readouterr().err


def test_the_server_checks_contents_when_configured() -> None:
    recorder = Recorder()

    async def go() -> None:
        async with serving(recorder) as (client, _):
            assert (await client.put(TXN + "1", json=BROKEN, headers=AUTH)).status_code == 200
        reg = registration(receive_ephemeral=True)
        async with serving(recorder, reg, check_content=True) as (client, _):
            answer = await client.put(TXN + "2", json=BROKEN, headers=AUTH)
            assert answer.status_code == 400 and answer.json()["errcode"] == "M_BAD_JSON"
            assert "$.events[1].content.info.size" in answer.json()["error"]
            good = {"events": [BROKEN["events"][0], BROKEN["events"][4]]}
            assert (await client.put(TXN + "3", json=good, headers=AUTH)).status_code == 200

    run(go())
    assert len(recorder.transactions) == 2
    first, second = recorder.transactions
    assert [type(e).__name__ for e in first.events] == [
        "RoomMessageEvent", "RoomMessageEvent", "ClientEvent", "ClientEvent", "ClientEvent",
        "ClientEvent",
    ]  # fmt: skip
    assert first.events[0].content["body"] == "fine" == first.events[0].content.body
    assert type(first.events[1].content).__name__ == "RoomMessageContent"  # info does not fit
    assert [e.event_id for e in second.events] == ["$event0", "$event4"]


def test_the_in_memory_homeserver_checks_contents_when_configured() -> None:
    async def main_() -> None:
        for check in (False, True):
            async with homeserver(check_content=check) as (client, _):
                await client.register(username="_irc_alice", inhibit_login=True)
                alice = client.as_user("@_irc_alice:localhost")
                room = (await alice.request("POST", f"{CS}/createRoom", json={}))["room_id"]
                bad = {"msgtype": "m.image", "body": "cat.png", "info": {"w": "wide"}}
                if check:
                    with pytest.raises(MatrixError) as refused:
                        await alice.send_message(room, "m.room.message", "t1", bad)
                    assert (refused.value.status, refused.value.errcode) == (400, "M_BAD_JSON")
                    assert '$.info.w: "wide" is not of type "integer"' in str(refused.value)
                    with pytest.raises(MatrixError, match="topic"):
                        await alice.set_room_state_with_key(room, "m.room.topic", "", {"t": 1})
                else:
                    await alice.send_message(room, "m.room.message", "t1", bad)
                await alice.send_message(room, "org.example.custom", "t2", {"any": 1})
                await alice.set_room_state_with_key(room, "m.room.topic", "", {"topic": "ok"})

    run(main_())


def test_typed_contents_are_sent_as_their_json() -> None:
    sent: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"event_id": "$sent"})

    from matrix_appservice.client import HomeserverClient

    image = ImageMessageContent(
        msgtype="m.image", body="cat.png", url="mxc://example.org/cat",
        info=ImageInfo(h=10, w=20), **{"org.example.extra": 1},
    )  # fmt: skip
    with HomeserverClient(
        "http://hs", "as-token-0123456789", transport=httpx.MockTransport(answer)
    ) as client:
        client.send_message("!r:example.org", "m.room.message", "t1", image)
        text = TextMessageContent(msgtype="m.text", body="hi")
        client.send_message("!r:example.org", "m.room.message", "t2", text)
        topic = RoomTopicContent(topic="news")
        client.set_room_state_with_key("!r:example.org", "m.room.topic", "", topic)
    assert sent == [
        {"msgtype": "m.image", "body": "cat.png", "url": "mxc://example.org/cat",
         "info": {"h": 10, "w": 20}, "org.example.extra": 1},
        {"msgtype": "m.text", "body": "hi"},
        {"topic": "news"},
    ]  # fmt: skip


def test_typed_and_plain_contents_go_through_the_checking_homeserver_alike() -> None:
    """Both clients' send_message and set_room_state_with_key take a typed content or a
    plain mapping; a homeserver that checks contents stores the same JSON for either."""

    async def main_() -> None:
        async with homeserver(check_content=True) as (client, _):
            await client.register(username="_irc_alice", inhibit_login=True)
            alice = client.as_user("@_irc_alice:localhost")
            room = (await alice.request("POST", f"{CS}/createRoom", json={}))["room_id"]
            topic = RoomTopicContent(topic="Bridged from #irc", **{"org.example.k": 1})
            await alice.set_room_state_with_key(room, "m.room.topic", "", topic)
            state = f"{CS}/rooms/{room}/state/m.room.topic/"
            assert await alice.request("GET", state) == {
                "topic": "Bridged from #irc",
                "org.example.k": 1,
            }
            await alice.set_room_state_with_key(room, "m.room.topic", "", {"topic": "plain"})
            assert await alice.request("GET", state) == {"topic": "plain"}
            text = TextMessageContent(msgtype="m.text", body="hi")
            typed = await alice.send_message(room, "m.room.message", "t1", text)
            plain = await alice.send_message(
                room, "m.room.message", "t2", {"msgtype": "m.text", "body": "hi"}
            )
            for sent in (typed, plain):
                got = await alice.request("GET", f"{CS}/rooms/{room}/event/{sent.event_id}")
                assert got["content"] == {"msgtype": "m.text", "body": "hi"}

    run(main_())
