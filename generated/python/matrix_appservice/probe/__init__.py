"""A conformance probe for live appservices: ``matrix-appservice probe URL --hs-token T``.

It acts as a homeserver would, sends valid and deliberately broken requests, validates every
answer against a release and reports each check as pass, fail or not applicable with the
rule of the spec it tests (by its id in the spec's rule data) and the section that rule
restates. Sending needs httpx (``pip install 'matrix-appservice[client]'``)::

    import httpx
    from matrix_appservice.probe import Prober, Samples

    with httpx.Client(timeout=10) as client:
        report = Prober(client, "http://127.0.0.1:9009", hs_token, "v1.19", Samples(None)).run()
    print(report.text())  # the token is hidden in every reason as it is recorded

Answers are read up to the clients' bound (``max_answer_bytes``, default ``MAX_ANSWER_BYTES``)
and each check, all its requests together, gets ``timeout`` seconds (default: the client's
read timeout). ``matrix-appservice probe`` sends over a transport that holds the deadline
inside every socket operation; over a client of your own it is checked between chunks.
"""

from __future__ import annotations

from matrix_appservice.probe._checks import OVERSIZED_BYTES, Prober
from matrix_appservice.probe._cli import add_probe_command, run_probe_command
from matrix_appservice.probe._report import Check, Report, scrubbed
from matrix_appservice.probe._samples import Samples

__all__ = [
    "OVERSIZED_BYTES",
    "Check",
    "Prober",
    "Report",
    "Samples",
    "add_probe_command",
    "run_probe_command",
    "scrubbed",
]
