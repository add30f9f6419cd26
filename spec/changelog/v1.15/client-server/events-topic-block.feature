``m.room.topic`` may carry its topic in several renderings under ``m.topic``.
