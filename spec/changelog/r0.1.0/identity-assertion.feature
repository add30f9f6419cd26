An application service can act on behalf of any user in its ``users`` namespaces by adding the ``user_id`` query parameter to Client-Server requests made with its ``as_token``.
