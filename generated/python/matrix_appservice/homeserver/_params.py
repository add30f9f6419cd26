"""Query parameters of a Client-Server request, typed as the handler methods take them."""

from __future__ import annotations

from matrix_appservice.server._errors import MatrixError
from matrix_appservice.server._request import HandlerRequest

__all__ = ["int_param", "required_int", "required_str", "str_param"]

_MAX_INT = 2**53 - 1  # the largest integer Matrix allows in JSON (canonical JSON's range)


def str_param(request: HandlerRequest, name: str) -> str | None:
    """A text parameter, or ``None``."""
    return request.query_value(name)


def required_str(request: HandlerRequest, name: str) -> str:
    """A text parameter; 400 ``M_MISSING_PARAM`` when it is absent."""
    value = request.query_value(name)
    if value is None:
        raise MatrixError(400, "M_MISSING_PARAM", f"The query parameter {name} is required")
    return value


def int_param(request: HandlerRequest, name: str) -> int | None:
    """A whole-number parameter, or ``None``; 400 ``M_INVALID_PARAM`` for anything else."""
    value = request.query_value(name)
    if value is None:
        return None
    digits = value.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 16 or int(digits) > _MAX_INT:
        raise MatrixError(
            400, "M_INVALID_PARAM", f"The query parameter {name} must be a whole number"
        )
    return int(value)


def required_int(request: HandlerRequest, name: str) -> int:
    """A whole-number parameter; 400 ``M_MISSING_PARAM`` when it is absent."""
    required_str(request, name)
    value = int_param(request, name)
    assert value is not None
    return value
