Relations between events: ``m.relates_to`` takes a ``rel_type`` and an ``event_id`` (MSC2674), and stays unencrypted in ``m.room.encrypted``. ``m.room.avatar`` no longer requires ``url``.
