``is_animated`` in the information about images and stickers, and ``m.room.policy``, which names a room's policy server.
