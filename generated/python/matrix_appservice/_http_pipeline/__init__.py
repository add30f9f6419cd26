"""The one request pipeline of the appservice server and the homeserver.

- :mod:`.asgi`: the raw path and headers of an ASGI request, its body read under a size
  limit while it streams in, a JSON answer;
- :mod:`.routing`: path templates from the operation metadata compiled once (``rest_param``
  included), 404 and 405 ``M_UNRECOGNIZED``;
- :mod:`.tokens`: the one rule for where an access token comes from;
- :mod:`.request`: path segments, the query string and the JSON body read within bounds
  (the package's bounded parser, then the release's schema), and :class:`HandlerRequest`;
- :mod:`.answers`: errors as answers, and handler answers checked against their model;
- :mod:`.app`: :class:`JsonApp`, the ASGI application both servers subclass, which runs the
  steps in order and answers every error.
"""
