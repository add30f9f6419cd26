For room version 12: ``additional_creators`` in ``m.room.create``, whose ``predecessor`` no longer requires an ``event_id``.
