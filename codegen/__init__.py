"""Generator for the Matrix Application Service API spec: load, lint, view, bundle, emit."""
