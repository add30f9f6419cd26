Added a ping from the homeserver to the application service, started by the application service, after MSC2659; the ``duration_ms`` of a successful answer is required (#1516, #1541).
