"""A pushed transaction as the handler sees it: typed, filtered by the registration's opt-ins.

What reaches the handler
------------------------
``events`` always. The rest only when the registration asked for it, whatever the
homeserver sends:

- ``ephemeral`` (typing, receipts, presence) and ``to_device`` (the MSC4203 field
  ``de.sorunome.msc2409.to_device``) when the registration sets ``receive_ephemeral`` or
  its unstable name ``de.sorunome.msc2409.push_ephemeral``; a homeserver that only knows
  the unstable name sends ``de.sorunome.msc2409.ephemeral``, which is read when
  ``ephemeral`` is absent. This follows Synapse, which sends to-device messages to the same
  opt-in.
- the MSC3202 encryption fields (``org.matrix.msc3202.device_lists``,
  ``...device_one_time_keys_count`` and ``...device_unused_fallback_key_types``) when the
  registration sets ``org.matrix.msc3202: true``; the older spelling
  ``...device_one_time_key_counts`` is read when the newer one is absent.

Fields not opted in are removed before the typed model is built, so they appear neither as
attributes nor among the model's extra keys.

Typed events
------------
The body is a :class:`~matrix_appservice.models.TypedTransaction`: each event is the class
of its type (``RoomMessageEvent``, ``TypingEvent``, ...), its ``content`` the model of the
type (and of the ``msgtype``), which also reads as the mapping it came from
(``event.content["body"]``). An event of a type without a model, or whose content does not
fit its model, arrives as the plain envelope (``ClientEvent``, ...) with a ``dict`` content:
a transaction never fails because of what is inside an event.

Own echoes
----------
The homeserver also pushes the events the appservice itself sent. :meth:`OwnUsers.is_own`
recognises the appservice's users: the ``sender_localpart`` user, and every user in an
*exclusive* ``users`` namespace (a non-exclusive namespace holds users the appservice only
watches). Without ``server_name`` the ``sender_localpart`` user is recognised by its
localpart on any server. A namespace regex that runs out of time on a sender
(:class:`~matrix_appservice.NamespaceTimeoutError`: a regex that can backtrack, and a crafted
user ID) makes that sender not one of the appservice's users, with one ERROR log line naming
the regex (once per sender; the last 1,024 such senders are remembered): the users an appservice made are not the ones its regex is slow on, and raising
would fail the whole transaction, which the homeserver would then retry forever.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matrix_appservice._namespaces import NamespaceTimeoutError
from matrix_appservice._plain_yaml import short
from matrix_appservice.models import (
    AnyEphemeralEvent,
    AnyRoomEvent,
    AnyToDeviceEvent,
    ClientEvent,
    OrgMatrixMsc3202DeviceLists,
    Registration,
    TypedTransaction,
)
from matrix_appservice.registration import Anchoring, NamespaceMatcher

__all__ = ["IncomingTransaction", "OptIns", "OwnUsers", "build_transaction", "fingerprint"]

_LOG = logging.getLogger("matrix_appservice.server")
_SLOW_SENDERS = 1024
_EPHEMERAL = "ephemeral"
_EPHEMERAL_UNSTABLE = "de.sorunome.msc2409.ephemeral"
_TO_DEVICE = "de.sorunome.msc2409.to_device"
_MSC3202 = "org.matrix.msc3202."
_OTK = "org.matrix.msc3202.device_one_time_keys_count"
_OTK_OLD = "org.matrix.msc3202.device_one_time_key_counts"


@dataclass(frozen=True)
class OptIns:
    """What the registration asked the homeserver to push besides room events."""

    ephemeral: bool = False
    msc3202: bool = False

    @classmethod
    def of(cls, registration: Registration) -> OptIns:
        return cls(
            ephemeral=registration.receive_ephemeral
            or registration.de_sorunome_msc2409_push_ephemeral is True,
            msc3202=registration.org_matrix_msc3202 is True,
        )


class OwnUsers:
    """Recognises the appservice's own users, to tell its echoes from other events."""

    def __init__(
        self,
        registration: Registration,
        server_name: str | None = None,
        anchoring: Anchoring = "full",
    ) -> None:
        self.localpart = registration.sender_localpart
        self.server_name = server_name
        self._bot = f"@{self.localpart}:{server_name}" if server_name else None
        self._matcher = NamespaceMatcher(registration, anchoring)
        self._slow: OrderedDict[str, None] = OrderedDict()  # senders a regex was slow on

    def is_bot(self, user_id: str) -> bool:
        """Whether ``user_id`` is the ``sender_localpart`` user."""
        if self._bot is not None:
            return user_id == self._bot
        return user_id.startswith("@") and user_id[1:].partition(":")[0] == self.localpart

    def is_own(self, user_id: str) -> bool:
        """The ``sender_localpart`` user, or a user in an exclusive ``users`` namespace."""
        if self.is_bot(user_id):
            return True
        if user_id in self._slow:
            return False
        try:
            return self._matcher.user_is_exclusive(user_id)
        except NamespaceTimeoutError as exc:
            self._slow[user_id] = None
            if len(self._slow) > _SLOW_SENDERS:
                self._slow.popitem(last=False)
            _LOG.error(
                "the namespaces.%s regex '%s' ran out of time (%g s) on a sender; "
                "treated as not one of the appservice's users",
                exc.kind,
                short(exc.regex),
                exc.timeout,
                extra={"event": "namespace_timeout", "kind": exc.kind, "regex": short(exc.regex)},
            )
            return False

    def is_own_echo(self, event: ClientEvent | Mapping[str, Any]) -> bool:
        """Whether the event was sent by one of the appservice's own users."""
        sender = event.sender if isinstance(event, ClientEvent) else event.get("sender")
        return isinstance(sender, str) and self.is_own(sender)


@dataclass(frozen=True)
class IncomingTransaction:
    """One transaction pushed by the homeserver, typed, with what the opt-ins allow."""

    txn_id: str
    body: TypedTransaction
    """The whole body, typed (fields not opted in removed)."""
    own_users: OwnUsers

    @property
    def events(self) -> list[AnyRoomEvent]:
        """The room events, typed by their type, in the order the homeserver sent them."""
        return self.body.events

    @property
    def ephemeral(self) -> list[AnyEphemeralEvent]:
        """Typing, receipts and presence (empty unless the registration opted in)."""
        return self.body.ephemeral or []

    @property
    def to_device(self) -> list[AnyToDeviceEvent]:
        """To-device messages for the appservice's users (empty unless opted in)."""
        return self.body.de_sorunome_msc2409_to_device or []

    @property
    def device_lists(self) -> OrgMatrixMsc3202DeviceLists | None:
        """MSC3202 device-list changes (``None`` unless opted in and sent)."""
        return self.body.org_matrix_msc3202_device_lists

    @property
    def one_time_keys_count(self) -> dict[str, dict[str, dict[str, int]]] | None:
        """MSC3202 one-time key counts by user, device and algorithm."""
        return self.body.org_matrix_msc3202_device_one_time_keys_count

    @property
    def unused_fallback_key_types(self) -> dict[str, dict[str, list[str]]] | None:
        """MSC3202 unused fallback key algorithms by user and device."""
        return self.body.org_matrix_msc3202_device_unused_fallback_key_types

    def is_own_echo(self, event: ClientEvent | Mapping[str, Any]) -> bool:
        """Whether ``event`` was sent by the appservice's own users (see :class:`OwnUsers`)."""
        return self.own_users.is_own_echo(event)

    def foreign_events(self) -> list[AnyRoomEvent]:
        """The events not sent by the appservice's own users."""
        return [e for e in self.body.events if not self.own_users.is_own_echo(e)]


def fingerprint(data: Mapping[str, Any]) -> str:
    """A digest of the event IDs of a transaction body (the same on a homeserver's retry)."""
    events = data.get("events")
    ids = [e.get("event_id", "") for e in events if isinstance(e, dict)] if events else []
    return hashlib.blake2b("\n".join(ids).encode("utf-8", "replace"), digest_size=16).hexdigest()


def _keep_opted_in(data: dict[str, Any], opt: OptIns) -> dict[str, Any]:
    if opt.ephemeral:
        if _EPHEMERAL not in data and _EPHEMERAL_UNSTABLE in data:
            data[_EPHEMERAL] = data[_EPHEMERAL_UNSTABLE]
        data.pop(_EPHEMERAL_UNSTABLE, None)
    else:
        for key in (_EPHEMERAL, _EPHEMERAL_UNSTABLE, _TO_DEVICE):
            data.pop(key, None)
    if opt.msc3202:
        if _OTK not in data and _OTK_OLD in data:
            data[_OTK] = data[_OTK_OLD]
        data.pop(_OTK_OLD, None)
    else:
        for key in [k for k in data if k.startswith(_MSC3202)]:
            del data[key]
    return data


def build_transaction(
    txn_id: str, data: dict[str, Any], opt_ins: OptIns, own_users: OwnUsers
) -> IncomingTransaction:
    """The typed transaction; raises pydantic's ``ValidationError`` on a body it cannot type."""
    body = TypedTransaction.model_validate(_keep_opted_in(data, opt_ins))
    return IncomingTransaction(txn_id, body, own_users)
