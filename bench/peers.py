"""The servers that bench/server.py puts under load, each run as its own process.

    python bench/peers.py aiohttp --port P --hs-token T
    python bench/peers.py mautrix --port P --hs-token T

- ``aiohttp``: what a careful hand-written appservice looks like: an aiohttp web app with
  one route, a constant-time bearer check, ``Transaction.model_validate_json`` on the raw
  body (this package's pydantic model), and the handled IDs in a dict;
- ``mautrix``: mautrix-python's ``AppService`` (its own aiohttp app, event parsing and
  transaction bookkeeping), with an in-memory state store and no event handlers.

:class:`Bridge` is the handler of this package's own server in the bench
(``matrix-appservice serve peers:Bridge``): it reads the typed events, so every
transaction is validated and typed before it counts as handled.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import signal
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated" / "python")]

from matrix_appservice.server import AppServiceHandler, IncomingTransaction  # noqa: E402

HANDLED = 0


class Bridge(AppServiceHandler):
    """Counts the typed events of each transaction (which builds the typed models)."""

    async def send_transaction(self, transaction: IncomingTransaction) -> None:
        global HANDLED
        HANDLED += len(transaction.events)


async def _aiohttp(port: int, hs_token: str) -> None:
    from aiohttp import web
    from matrix_appservice.models import Transaction
    from pydantic import ValidationError

    expected = f"Bearer {hs_token}".encode()
    handled: dict[str, bytes] = {}
    forbidden = web.json_response({"errcode": "M_FORBIDDEN", "error": "Bad token"}, status=403)

    async def put_transaction(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(header, expected):
            return forbidden
        txn_id = request.match_info["txn_id"]
        if txn_id in handled:
            return web.Response(body=handled[txn_id], content_type="application/json")
        try:
            body = Transaction.model_validate_json(await request.read())
        except ValidationError as exc:
            return web.json_response(
                {"errcode": "M_BAD_JSON", "error": str(exc.errors()[0]["loc"])}, status=400
            )
        global HANDLED
        HANDLED += len(body.events)
        handled[txn_id] = b"{}"
        return web.Response(body=b"{}", content_type="application/json")

    app = web.Application()
    app.router.add_put("/_matrix/app/v1/transactions/{txn_id}", put_transaction)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await _until_terminated()
    finally:
        await runner.cleanup()


async def _mautrix(port: int, hs_token: str) -> None:
    from mautrix.appservice import AppService

    from tests.interop.mautrix_peer import MemoryASStateStore

    with warnings.catch_warnings():
        # mautrix 0.21 passes the running loop to aiohttp's Application, which aiohttp deprecates.
        warnings.filterwarnings("ignore", "loop argument is deprecated", DeprecationWarning)
        appservice = AppService(
            server="http://127.0.0.1:9",  # never called: nothing here talks to a homeserver
            domain="localhost",
            as_token="bench-as-token",
            hs_token=hs_token,
            bot_localpart="bench",
            id="bench",
            log=logging.getLogger("bench.mautrix"),
            state_store=MemoryASStateStore(),
        )
    await appservice.start(host="127.0.0.1", port=port)
    try:
        await _until_terminated()
    finally:
        await appservice.stop()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", choices=["aiohttp", "mautrix"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hs-token", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    serve = _aiohttp if args.server == "aiohttp" else _mautrix
    asyncio.run(serve(args.port, args.hs_token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
