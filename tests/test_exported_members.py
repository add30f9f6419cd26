"""The public surface of every public module of the package, pinned.

A name enters or leaves a module's ``__all__`` only with a change to this file. The facades
(the package and its subpackages) export exactly the public names they hold, as httpx's own
``test_exported_members`` asks of httpx; every exported name is defined by the package. The
model and errcode classes come from the spec, so they are checked against the metadata
instead of being listed here.
"""

from __future__ import annotations

import importlib
import types

import matrix_appservice
import pytest
from matrix_appservice import OPERATIONS, models

from codegen.python.errcodes import class_name

PINNED = {
    "matrix_appservice.client": """
        AppServiceClient AsyncAppServiceClient AsyncHomeserverClient HomeserverClient
        Media MediaUpload RetryPolicy Upload
    """,
    "matrix_appservice.errors": """
        ERRCODE_CLASSES MatrixError MediaTooLargeError QueryTimeoutError RequestFailedError
        RequestValidationError ResponseValidationError
    """,
    "matrix_appservice.server": """
        AppServer AppServiceApp AppServiceHandler Claim configure_logging create_app
        default_store_path HTTPLimits IncomingTransaction JsonFormatter MemoryStore
        PostgresTransactionStore Retention run_app SQLiteStore TransactionStore
    """,
    "matrix_appservice.homeserver": """
        EventPusher HandlerRequest HomeserverApp HomeserverHandler HomeserverState Identities
        InMemoryHomeserver PlainHandler PlainRoute RecordingPusher RegisteredAppservice
        Requester RiskyRegexError Room User
    """,
    "matrix_appservice.homeserver.pusher": """
        ClientFactory MAX_EVENT_BYTES MAX_TRANSACTION_EVENTS PendingTransaction Pusher
        PusherStore Router
    """,
    "matrix_appservice.homeserver.testing": """
        free_port in_memory_homeserver running_homeserver RunningHomeserver
    """,
    "matrix_appservice.probe": """
        add_probe_command Check OVERSIZED_BYTES Prober Report run_probe_command Samples
        scrubbed
    """,
    "matrix_appservice.registration": """
        Anchoring check_registration check_registrations DEFAULT_MATCH_TIMEOUT
        examine_registration load_registration LoadedRegistration MAX_IDENTIFIER_BYTES
        MAX_REGISTRATION_BYTES NamespaceAnswer NamespaceMatcher NamespaceTimeoutError
        parse_registration Problem RegistrationError RegistrationReadError
    """,
    "matrix_appservice.rules": """
        PROBE_CHECKS Rule rule RULES rules_for_check
    """,
    "matrix_appservice.operations": """
        Api AUTH_SCHEMES AuthScheme NotInReleaseError Operation operation OPERATIONS
    """,
    "matrix_appservice": """
        AUTH_SCHEMES AuthScheme check_registration check_registrations DEFAULT_MAX_ERRORS
        examine_registration LATEST load_registration LoadedRegistration MAX_DEPTH models
        NamespaceAnswer NamespaceMatcher NamespaceTimeoutError NotInReleaseError Operation
        operation OPERATIONS parse_registration PayloadError Problem RegistrationError
        RegistrationReadError RELEASES resolve_release SPEC_REVISION targets UNSTABLE
        UnknownReleaseError validate ValidationIssue ValidationResult Validator validator_for
    """,
}
FACADES = ("matrix_appservice", "matrix_appservice.models", "matrix_appservice.server",
           "matrix_appservice.homeserver", "matrix_appservice.homeserver.pusher",
           "matrix_appservice.probe")  # fmt: skip
MODEL_NAMES = frozenset(models.__all__)
ERRCODE_CLASSES = frozenset(
    class_name(e) for op in OPERATIONS.values() for r in op.releases
    for codes in op.errcodes(r).values() for e in codes
)  # fmt: skip
CONSTANTS = frozenset(op.python_name.upper() for op in OPERATIONS.values()) | frozenset(
    name for name in importlib.import_module("matrix_appservice.operations").__all__
    if name.isupper() and name not in ("AUTH_SCHEMES", "OPERATIONS")
)  # fmt: skip


def _spec_names(module: str) -> frozenset[str]:
    """The names a module exports because the spec has them."""
    if module == "matrix_appservice":
        return MODEL_NAMES
    if module == "matrix_appservice.errors":
        return ERRCODE_CLASSES
    if module == "matrix_appservice.operations":
        return CONSTANTS
    return frozenset()


@pytest.mark.parametrize("module", sorted(PINNED))
def test_the_public_surface_is_pinned(module: str) -> None:
    exported = set(importlib.import_module(module).__all__)
    pinned = set(PINNED[module].split())
    assert exported - _spec_names(module) == pinned


def test_the_spec_names_are_exported_where_they_belong() -> None:
    classes = {n for n in dir(models) if isinstance(getattr(models, n), type)}
    assert classes <= set(models.__all__) and all(hasattr(models, n) for n in models.__all__)
    assert MODEL_NAMES <= set(matrix_appservice.__all__)
    errors = importlib.import_module("matrix_appservice.errors")
    assert ERRCODE_CLASSES <= set(errors.__all__)
    assert {"UserInUseError", "UnknownDeviceError", "NotFoundError"} <= ERRCODE_CLASSES


@pytest.mark.parametrize("module", FACADES)
def test_a_facade_exports_every_public_name_it_holds(module: str) -> None:
    found = importlib.import_module(module)
    public = {
        name for name, value in vars(found).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
        and name != "annotations" and name != "TYPE_CHECKING"
    }  # fmt: skip
    modules = {n for n in found.__all__ if isinstance(getattr(found, n), types.ModuleType)}
    # PostgresTransactionStore is imported on first use (it needs the [postgres] extra).
    assert public == set(found.__all__) - modules - {"PostgresTransactionStore"}


@pytest.mark.parametrize("module", sorted({*PINNED, "matrix_appservice.models"}))
def test_every_exported_name_is_the_packages_own(module: str) -> None:
    found = importlib.import_module(module)
    for name in found.__all__:
        value = getattr(found, name)
        owner = getattr(value, "__module__", None)
        if isinstance(value, types.ModuleType):
            assert value.__name__.startswith("matrix_appservice"), (module, name)
        elif isinstance(value, (type, types.FunctionType)):
            assert owner and owner.startswith("matrix_appservice"), (module, name, owner)
