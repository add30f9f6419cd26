"""Write the echo bridge's registration file, with fresh random tokens.

    python -m examples.echo.make_registration --url http://127.0.0.1:9010 \\
        --server-name example.org -o registration.yaml

The file names the bridge's address (``url``), its bot (``sender_localpart``) and one
exclusive users namespace for the puppets (``@<prefix>.*:<server-name>``). The tokens come
from :mod:`secrets`; the file is written readable by its owner only, and an existing file is
kept unless ``--force`` is given (the homeserver would no longer accept the old tokens).
The result passes the package's registration checks before it is written.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

import yaml
from matrix_appservice import load_registration
from matrix_appservice.registration import RegistrationError

DEFAULT_PREFIX = "echo_"
DEFAULT_BOT = "echobot"


def registration_text(
    url: str, server_name: str, *, appservice_id: str, bot: str, prefix: str
) -> str:
    """The registration as YAML; the tokens are new for every call."""
    body = {
        "id": appservice_id,
        "url": url,
        "as_token": secrets.token_urlsafe(32),
        "hs_token": secrets.token_urlsafe(32),
        "sender_localpart": bot,
        "rate_limited": False,
        "namespaces": {
            "users": [
                {"exclusive": True, "regex": f"@{re.escape(prefix)}.*:{re.escape(server_name)}"}
            ],
            "aliases": [],
            "rooms": [],
        },
    }
    header = "# The echo bridge's registration (examples/echo). Keep the tokens secret.\n"
    return header + yaml.safe_dump(body, sort_keys=False)


def write(path: Path, text: str, force: bool) -> None:
    """Check the text as a registration, then write it (mode 0600) in one step."""
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; give --force to replace it (and its tokens)")
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_registration(scratch)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="where the homeserver reaches the bridge")
    parser.add_argument("--server-name", required=True, help="the homeserver's name")
    parser.add_argument("-o", "--output", type=Path, default=Path("registration.yaml"))
    parser.add_argument("--id", default="echo-bridge", help="the appservice's id")
    parser.add_argument("--bot", default=DEFAULT_BOT, help="the bot's localpart")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="the puppets' localpart prefix")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    text = registration_text(
        args.url, args.server_name, appservice_id=args.id, bot=args.bot, prefix=args.prefix
    )
    try:
        write(args.output, text, args.force)
    except (OSError, RegistrationError) as exc:
        print(f"make_registration: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}; add it to the homeserver's app_service_config_files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
