"""The echo bridge's handler: join when invited, answer text messages through puppets.

For each event of a transaction that the bridge's own users did not send:

- an invite of the bot: the bot joins the room;
- an ``m.text`` message: the sender's puppet (``@<prefix><sender's localpart>``, registered
  on first use with ``inhibit_login``) joins the room (invited by the bot when the room
  needs it) and sends ``echo: <body>`` as an ``m.notice``.

The bridge's own messages come back in later transactions; the server marks them as own
echoes (``IncomingTransaction.foreign_events`` leaves them out), so nothing is echoed twice.

The bridge owns its homeserver client: :meth:`EchoBridge.startup` (run by the server before
it takes requests) opens it and asks the homeserver who the bot is, which also checks the
``as_token``; :meth:`EchoBridge.shutdown` (run after the last answer) closes it.
Each step can be repeated safely: a puppet that exists already is fine, joining twice is
fine, and the message's transaction ID is made from the event ID, so a transaction the
homeserver delivers again (after this handler raised) sends no second echo.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from matrix_appservice.client import AsyncHomeserverClient
from matrix_appservice.errors import ForbiddenError, MatrixError, RequestFailedError
from matrix_appservice.models import ClientEvent, Registration
from matrix_appservice.registration import NamespaceMatcher
from matrix_appservice.server import AppServiceHandler, IncomingTransaction

__all__ = ["EchoBridge", "StartError", "puppet_localpart"]

_LOG = logging.getLogger("examples.echo")
_NOT_LOCALPART = re.compile(r"[^a-z0-9._=\-/+]")


def puppet_localpart(prefix: str, user_id: str) -> str:
    """The puppet's localpart for ``user_id``: the prefix, then its localpart in lower case,
    each character a localpart may not hold replaced by ``_``."""
    localpart = user_id[1:].partition(":")[0].lower()
    return prefix + _NOT_LOCALPART.sub("_", localpart)


def _room(room_id: str) -> str:
    return quote(room_id, safe="")


class StartError(Exception):
    """The bridge cannot start; the message says why."""


class EchoBridge(AppServiceHandler):
    """Answers ``m.text`` messages with ``echo: <body>``, sent by the sender's puppet.

    ``homeserver`` is the homeserver's client API URL; ``client_options`` go to its
    :class:`AsyncHomeserverClient` (``transport=`` in tests)."""

    def __init__(
        self, homeserver: str, registration: Registration, prefix: str, **client_options: Any
    ) -> None:
        self.homeserver = homeserver
        self.registration = registration
        self.prefix = prefix
        self.client_options = client_options
        self._client: AsyncHomeserverClient | None = None
        self.bot = ""
        self.server_name = ""
        self._registered: set[str] = set()
        self._joined: set[tuple[str, str]] = set()

    @property
    def client(self) -> AsyncHomeserverClient:
        """The homeserver client, open between :meth:`startup` and :meth:`shutdown`."""
        if self._client is None:
            raise RuntimeError("the echo bridge is not started")
        return self._client

    async def startup(self) -> None:
        """Open the homeserver client, learn the bot's user ID, check the namespace."""
        try:
            client = AsyncHomeserverClient(
                self.homeserver, self.registration.as_token, **self.client_options
            )
        except ValueError as exc:  # a URL with user info, for one: the message hides it
            raise StartError(f"--homeserver: {exc}") from None
        try:
            whoami = await client.request("GET", "/_matrix/client/v3/account/whoami")
        except (MatrixError, RequestFailedError) as exc:
            await client.aclose()
            raise StartError(
                f"the homeserver at {self.homeserver} did not accept us: {exc}"
            ) from None
        self.bot = whoami["user_id"]
        self.server_name = self.bot.partition(":")[2]
        sample = f"@{puppet_localpart(self.prefix, self.bot)}:{self.server_name}"
        if not NamespaceMatcher(self.registration).user_is_exclusive(sample):
            await client.aclose()
            raise StartError(
                f"puppets such as {sample} are not in an exclusive users namespace of the "
                f"registration: make it with --prefix {self.prefix}"
            )
        self._client = client
        _LOG.info("started as %s", self.bot, extra={"bot": self.bot})

    async def shutdown(self) -> None:
        """Close the homeserver client."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def send_transaction(self, transaction: IncomingTransaction) -> None:
        for event in transaction.foreign_events():
            if event.type == "m.room.member" and event.state_key == self.bot:
                if event.content.get("membership") == "invite":
                    await self.client.request(
                        "POST", f"/_matrix/client/v3/join/{_room(event.room_id)}"
                    )
                    _LOG.info("joined %s", event.room_id, extra={"room_id": event.room_id})
            elif event.type == "m.room.message" and event.content.get("msgtype") == "m.text":
                body = event.content.get("body")
                if isinstance(body, str):
                    await self.echo(event, body)

    async def echo(self, event: ClientEvent, body: str) -> None:
        puppet = await self.puppet(event.sender)
        await self.join(puppet, event.room_id)
        sent = await self.client.as_user(puppet).send_message(
            event.room_id,
            "m.room.message",
            f"echo-{event.event_id.lstrip('$')}",  # the same on a redelivery: no second echo
            {"msgtype": "m.notice", "body": f"echo: {body}"},
        )
        _LOG.info("echoed %s as %s", event.event_id, puppet, extra={"event_id": sent.event_id})

    async def puppet(self, sender: str) -> str:
        """The puppet's user ID, registered on the homeserver first if needed."""
        localpart = puppet_localpart(self.prefix, sender)
        user_id = f"@{localpart}:{self.server_name}"
        if user_id not in self._registered:
            try:
                await self.client.register(username=localpart, inhibit_login=True)
            except MatrixError as exc:
                if exc.errcode != "M_USER_IN_USE":
                    raise
            self._registered.add(user_id)
        return user_id

    async def join(self, puppet: str, room_id: str) -> None:
        if (puppet, room_id) in self._joined:
            return
        as_puppet = self.client.as_user(puppet)
        join = f"/_matrix/client/v3/join/{_room(room_id)}"
        try:
            await as_puppet.request("POST", join)
        except ForbiddenError:
            # Not a public room: the bot, which is in it, invites the puppet first.
            await self.client.request(
                "POST",
                f"/_matrix/client/v3/rooms/{_room(room_id)}/invite",
                json={"user_id": puppet},
            )
            await as_puppet.request("POST", join)
        self._joined.add((puppet, room_id))
