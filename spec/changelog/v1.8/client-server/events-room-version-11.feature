For room version 11: ``m.room.redaction`` carries ``redacts`` in its content, and ``m.room.create`` no longer requires ``creator``.
