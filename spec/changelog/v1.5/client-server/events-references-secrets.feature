Reference relations (``m.reference``), verification requests as a msgtype in rooms (``m.key.verification.request``), and secret sharing between devices (``m.secret.request``, ``m.secret.send``).
