"""The homeserver side of the Application Service API.

:mod:`matrix_appservice.homeserver.pusher` delivers events to appservices as transactions,
durably and in order (see :class:`~matrix_appservice.homeserver.pusher.Pusher`).
"""
