"""Schemathesis against an ASGI app, driven by the project's own bundled OpenAPI of a release."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from matrix_appservice import OPERATIONS
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "v1.19"
BASE_URL = "http://testserver"


def bundle(api: str, release: str = RELEASE) -> dict[str, Any]:
    """The bundled OpenAPI of ``release`` with only the operations whose ``x-api`` is ``api``."""
    doc = json.loads((ROOT / "generated" / "openapi" / f"{release}.json").read_text("utf-8"))
    doc = copy.deepcopy(doc)
    doc["servers"] = [{"url": BASE_URL}]
    wanted = [
        op.path(release) for op in OPERATIONS.values() if op.api == api and op.exists_in(release)
    ]
    doc["paths"] = {path: doc["paths"][path] for path in dict.fromkeys(wanted)}
    return doc


# Answers of an operation taken as they are, whatever the spec's checks would say.
Accept = Callable[[Any], bool]


@dataclass
class FuzzRun:
    """What one run found: cases sent per operation and mode, and the failures by operation."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.cases.values())


def fuzz(
    app: Any,
    api: str,
    headers: Mapping[str, str],
    *,
    examples: Mapping[GenerationMode, int],
    excluded_checks: Mapping[GenerationMode, list[Any]] | None = None,
    only_checks: Mapping[GenerationMode, list[Any]] | None = None,
    also_accept: Mapping[str, Accept] | None = None,
) -> FuzzRun:
    """Every operation of ``api`` against ``app``, ``examples[mode]`` cases each, derandomized.

    Each answer goes through schemathesis's checks (status documented for the operation,
    body valid against the response schema, no 5xx ...), minus ``excluded_checks[mode]`` or
    only ``only_checks[mode]``; an answer for which ``also_accept[operationId]`` is true is
    taken as it is. The first failure of each operation and mode is kept (not shrunk, so a
    failing run stays within the time budget).
    """
    schema = schemathesis.openapi.from_dict(bundle(api))
    schema.app = app
    run = FuzzRun()
    with asgi.get_client(app) as client:
        for result in schema.get_all_operations():
            operation = result.ok()
            op_id = operation.definition.raw["operationId"]
            for mode, count in examples.items():
                key = f"{op_id} ({mode.value})"
                run.cases[key] = 0
                validate = _schemathesis_checks(
                    headers,
                    (only_checks or {}).get(mode),
                    (excluded_checks or {}).get(mode),
                    (also_accept or {}).get(op_id),
                )
                try:
                    _operation_test(operation, mode, count, client, headers, run, key, validate)()
                except (AssertionError, FailureGroup) as exc:
                    run.failures[key] = str(exc)[:2000]
    return run


def _schemathesis_checks(
    headers: Mapping[str, str],
    only: list[Any] | None,
    excluded: list[Any] | None,
    accept: Accept | None,
) -> Callable[[Any, Any], None]:
    def validate(case: Any, response: Any) -> None:
        if accept is not None and accept(response):
            return
        case.validate_response(
            response, headers=dict(headers), checks=only, excluded_checks=excluded
        )

    return validate


def _operation_test(
    operation: Any,
    mode: GenerationMode,
    count: int,
    client: Any,
    headers: Mapping[str, str],
    run: FuzzRun,
    key: str,
    validate: Callable[[Any, Any], None],
) -> Callable[[], None]:
    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def test(case: Any) -> None:
        run.cases[key] += 1
        # The token is the one in ``headers``: an access_token parameter generated from the
        # query scheme would name another, which the apps refuse as a wrong token.
        if case.query:
            case.query.pop("access_token", None)
        validate(case, case.call(session=client, headers=dict(headers)))

    return test  # type: ignore[no-any-return]
