``GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`` answers the whole event instead of its content when asked with ``format=event`` (#2175).
