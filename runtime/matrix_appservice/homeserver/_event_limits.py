"""What an event must be before a homeserver takes it: JSON, and at most 64 KiB.

The size is measured as Synapse measures it, on the event without ``unsigned`` (which the
homeserver adds, for example the ``prev_content`` of a state event, and which is not part
of the event proper). The pusher and the in-memory homeserver apply the same rules, so an
event the homeserver stored is always one the pusher can queue.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

__all__ = ["MAX_EVENT_BYTES", "EventTooLarge", "encode_event"]

MAX_EVENT_BYTES = 65_536
"""The largest event accepted, serialised (the Client-Server API's limit on an event)."""


class EventTooLarge(ValueError):
    """The event is larger than :data:`MAX_EVENT_BYTES` as JSON."""


def encode_event(item: object, what: str = "an event") -> bytes:
    """``item`` as JSON bytes.

    ``TypeError`` when it is not a mapping; ``ValueError`` when it cannot be written as JSON
    (nested too deeply, for one); :class:`EventTooLarge` when it is over the limit.
    """
    if not isinstance(item, Mapping):
        raise TypeError(f"{what} must be a JSON object (a mapping), not {type(item).__name__}")
    try:
        body = orjson.dumps(item)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise ValueError(f"{what} cannot be serialised as JSON: {exc}") from None
    if len(body) > MAX_EVENT_BYTES and "unsigned" in item:
        size = len(orjson.dumps({k: v for k, v in item.items() if k != "unsigned"}))
    else:
        size = len(body)
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(f"{what} is {size} bytes as JSON; the limit is {MAX_EVENT_BYTES}")
    return body
