"""Deliver events to appservices as transactions: routed, batched, in order, durable.

    from matrix_appservice.homeserver.pusher import Pusher

    pusher = Pusher(["bridge.yaml"], store_path="pusher.sqlite3", server_name="example.org")
    await pusher.start()
    pusher.push(event)          # queued (on disk) for every appservice interested in it
    await pusher.drain(10)      # every queued event acknowledged
    await pusher.stop()

See :mod:`matrix_appservice.homeserver._pusher` for the delivery rules,
:mod:`matrix_appservice.homeserver._pusher_routing` for which appservice gets what, and
:mod:`matrix_appservice.homeserver._pusher_store` for what is kept across restarts.
"""

from __future__ import annotations

from matrix_appservice.homeserver._pusher import (
    MAX_EVENT_BYTES,
    MAX_TRANSACTION_EVENTS,
    ClientFactory,
    Pusher,
)
from matrix_appservice.homeserver._pusher_routing import Router
from matrix_appservice.homeserver._pusher_store import PendingTransaction, PusherStore

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_TRANSACTION_EVENTS",
    "ClientFactory",
    "PendingTransaction",
    "Pusher",
    "PusherStore",
    "Router",
]
