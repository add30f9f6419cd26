"""An echo bridge: a puppet user answers each text message with ``echo: <body>``.

Built on the generated server (``create_app``, ``AppServiceHandler``) and the generated
homeserver client (``AsyncHomeserverClient``). Make a registration once, give it to the
homeserver, then start the bridge (from the repository root)::

    .venv/bin/python -m examples.echo.make_registration \\
        --url http://127.0.0.1:9010 --server-name example.org -o registration.yaml
    make echo-bridge REGISTRATION=registration.yaml HOMESERVER=http://127.0.0.1:8008

Invite the bot (``@echobot:<server>``) to a room; it joins, and every ``m.text`` message a
user outside the bridge sends there is answered by that user's puppet (``@echo_<name>``).
"""
