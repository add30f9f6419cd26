``m.call.negotiate`` carries its session description as ``description`` (an offer or an answer) instead of ``offer``, and ``m.space.child`` and ``m.space.parent`` require ``via``.
