Image packs (``m.room.image_pack``), room key bundles for invited users (``m.room_key_bundle``, ``shared_history`` in ``m.room_key``) and the ``m.history_not_shared`` code of ``m.room_key.withheld``.
