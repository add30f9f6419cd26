"""Where a request's access token comes from: one rule for the appservice server and the
homeserver.

1. **Sources.** The ``Authorization`` header with the ``Bearer`` scheme (any case), in every
   release; and the ``access_token`` query parameter, where the operation accepts it in the
   release served (its query authentication scheme in the operation metadata: the
   homeserver -> appservice calls before v1.4, which the server's ``legacy_query_auth``
   overrides; the Client-Server calls where their release lists it). Elsewhere a query
   token alone does not authenticate (rule 2), but it still counts for rule 3.
2. **Empty is absent.** An empty or blank value is no token, in either source, so an empty
   token never matches anything; with no token at all the answer is 401
   ``M_MISSING_TOKEN`` (saying so when a query token was sent where it is not read).
3. **Disagreement is refused.** When the sources name different tokens (the header and the
   query, or two query parameters), the request carries a wrong token, whatever either
   one is: the side's answer to a wrong token (403 ``M_FORBIDDEN`` from the appservice,
   401 ``M_UNKNOWN_TOKEN`` from the homeserver). Sources that name the same token are that
   token.

Comparing the token with the expected ones is the app's part, in constant time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from matrix_appservice._http_pipeline.request import MAX_QUERY_PAIRS
from matrix_appservice.errors import MatrixError, MissingTokenError
from matrix_appservice.operations import Operation

__all__ = ["query_token_allowed", "read_token", "require_token"]

_QUERY_KEY = b"access_token"


def query_token_allowed(operation: Operation[Any, Any], version: str) -> bool:
    """Whether ``operation`` takes the ``access_token`` query parameter in ``version``
    (one of its authentication schemes in that release is the query one)."""
    return any(scheme.kind == "query" for scheme in operation.auth(version))


def _header_token(authorization: bytes | None) -> bytes | None:
    if authorization is None:
        return None
    scheme, _, credentials = authorization.strip().partition(b" ")
    credentials = credentials.strip()
    return credentials if scheme.lower() == b"bearer" and credentials else None


def _query_tokens(query_string: bytes) -> set[bytes]:
    found = set()
    for part in query_string.split(b"&", MAX_QUERY_PAIRS)[:MAX_QUERY_PAIRS]:
        key, _, value = part.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == _QUERY_KEY:
            token = unquote_to_bytes(value.replace(b"+", b" ")).strip()
            if token:
                found.add(token)
    return found


def read_token(
    authorization: bytes | None,
    query_string: bytes,
    *,
    query_allowed: bool,
    wrong: Callable[[str], MatrixError],
) -> bytes | None:
    """The request's token by the rule above, or ``None`` when it has none; raises
    ``wrong(reason)`` when its sources disagree."""
    header = _header_token(authorization)
    if _QUERY_KEY not in query_string:
        return header
    tokens = _query_tokens(query_string)
    if header is not None:
        tokens.add(header)
    if len(tokens) > 1:
        raise wrong("The request carries different access tokens")
    if header is None and not query_allowed:
        return None
    return next(iter(tokens), None)


def require_token(
    authorization: bytes | None,
    query_string: bytes,
    *,
    query_allowed: bool,
    wrong: Callable[[str], MatrixError],
) -> bytes:
    """The request's token by the rule above; 401 ``M_MISSING_TOKEN`` when it has none."""
    token = read_token(authorization, query_string, query_allowed=query_allowed, wrong=wrong)
    if token is not None:
        return token
    if not query_allowed and _QUERY_KEY in query_string and _query_tokens(query_string):
        raise MissingTokenError(
            "Send the access token in an Authorization: Bearer header; it is not accepted "
            "as a query parameter here"
        )
    raise MissingTokenError("Missing access token")
