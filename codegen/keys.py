"""The names of the extension keys the sources use beyond OpenAPI (see ``spec/README.md``)."""

from __future__ import annotations

__all__ = [
    "ADDED",
    "API",
    "APPSERVICE_ONLY",
    "CHANGED",
    "DEPRECATED",
    "ERRCODES",
    "EVENT",
    "FREE_FORM_QUERY",
    "IDENTITY_ASSERTION",
    "LEGACY_PATHS",
    "MATRIX_OPERATION_ID",
    "NOT_IN_OFFICIAL_SCHEMA",
    "NO_IDENTITY_ASSERTION",
    "REMOVED",
    "REST_OF_PATH",
    "SHAPE_BEFORE",
    "UNSTABLE",
]

# Version history (the first two and the last one are the official conventions).
ADDED = "x-addedInMatrixVersion"
CHANGED = "x-changedInMatrixVersion"
REMOVED = "x-removedInMatrixVersion"
DEPRECATED = "x-deprecatedInMatrixVersion"
SHAPE_BEFORE = "x-shapeBefore"
UNSTABLE = "x-unstable"

# Operations.
LEGACY_PATHS = "x-legacyPaths"
NO_IDENTITY_ASSERTION = "x-noIdentityAssertion"
ERRCODES = "x-errcodes"

# Parameters.
IDENTITY_ASSERTION = "x-identityAssertion"
FREE_FORM_QUERY = "x-freeFormQuery"
APPSERVICE_ONLY = "x-appserviceOnly"
REST_OF_PATH = "x-restOfPath"

# Properties.
NOT_IN_OFFICIAL_SCHEMA = "x-notInOfficialSchema"

# Event content schemas (spec/events/): the event type they describe (codegen/events.py).
EVENT = "x-event"

# Written by the bundler, never in the sources.
API = "x-api"
MATRIX_OPERATION_ID = "x-matrixOperationId"
