"""Bad registration files, shared by the in-process tests and the hostile-input tests.

Each case is written into a folder by :func:`materialize`; ``line`` is where the problem is
reported (0: the whole file) and ``expected`` a piece of the message. ``usage`` marks a file
that cannot be read at all (exit status 2 on the command line); all others are invalid
(exit status 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

GOOD = """\
id: irc-bridge
url: http://127.0.0.1:9000
as_token: as_secret_0123456789
hs_token: hs_secret_4567890123
sender_localpart: _irc_bot
rate_limited: false
namespaces:
  users:
    - exclusive: true
      regex: '@_irc_.*:example\\.org'
  aliases:
    - exclusive: true
      regex: '#_irc_.*:example\\.org'
  rooms: []
protocols: [irc]
"""

LIMIT = 256 * 1024  # the documented size limit of a registration file


def _billion_laughs() -> str:
    """Nine levels of nine aliases each: 342 bytes that expand to 9**9 strings."""
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        rows.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(rows) + "\n"


BILLION_LAUGHS = _billion_laughs()


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes | None  # None: see ``special``
    line: int
    expected: str
    usage: bool = False
    special: str = ""  # "missing", "directory", "fifo", "device" or "sparse" (huge, no data)


def _good_with(old: str, new: str) -> bytes:
    assert old in GOOD
    return GOOD.replace(old, new, 1).encode()


_NOT_A_FILE = "is not a regular file (a device, pipe or socket); a registration must be a file"

CASES = [
    Case("aliases", _good_with("rate_limited: false\n", "extra: &x {a: 1}\nmore: *x\n"), 6,
         "YAML anchor &x: anchors and aliases are not allowed"),
    Case("billion_laughs", BILLION_LAUGHS.encode(), 1, "YAML anchor &a: anchors and aliases are not allowed"),
    Case("too_large", GOOD.encode() + b"#" * LIMIT + b"\n", 0,
         f"the file is larger than {LIMIT} bytes"),
    Case("deep", b"id: " + b"[" * 100_000 + b"\n", 1, "nested more than 32 levels"),
    Case("many_values", b"id: [" + b"0," * 60_000 + b"0]\n", 1, "more than 10000 keys and values"),
    Case("not_utf8", _good_with("hs_secret", "hs_\xff_secret").replace(b"\xc3\xbf", b"\xff"), 4,
         "not UTF-8: byte 0xff at byte offset 86"),
    Case("nul", _good_with("as_secret", "as_\0secret"), 3, "a NUL byte at byte offset 55"),
    Case("date", _good_with("id: irc-bridge", "id: 2024-01-01"), 1,
         "id: 2024-01-01 is read by YAML as a date; write it as a quoted string"),
    Case("integer_key", b"1: x\n" + GOOD.encode(), 1,
         "the key '1' at the top level is read by YAML as an integer; keys must be strings"),
    Case("users_not_a_list", GOOD.split("namespaces:")[0].encode() + b"namespaces: {users: 5}\n", 7,
         'namespaces.users: 5 is not of type "array"'),
    Case("namespaces_a_list", GOOD.split("namespaces:")[0].encode() + b"namespaces: [1]\n", 7,
         'namespaces: [1] is not of type "object"'),
    Case("top_level_list", b"- id\n- url\n", 1,
         "a registration must be a mapping of keys to values, not a list"),
    Case("top_level_scalar", b"registration\n", 1,
         "a registration must be a mapping of keys to values, not the single value 'registration'"),
    Case("empty", b"", 1, "the file is empty"),
    Case("comments_only", b"# nothing here\n", 1, "the file is empty"),
    Case("missing", None, 0, "cannot read the file: no such file or directory", True, "missing"),
    Case("directory", None, 0, "cannot read the file: is a directory", True, "directory"),
    Case("fifo", None, 0, _NOT_A_FILE, True, "fifo"),
    Case("device", None, 0, _NOT_A_FILE, True, "device"),
    Case("url_without_scheme", _good_with("http://127.0.0.1:9000", "localhost:9031"), 2,
         "url 'localhost:9031' is not an http:// or https:// URL with a host"),
    Case("url_junk", _good_with("http://127.0.0.1:9000", "not a url"), 2,
         "url 'not a url' is not an http:// or https:// URL with a host"),
    Case("url_other_scheme", _good_with("http://127.0.0.1:9000", "ftp://127.0.0.1:9000"), 2,
         "url 'ftp://127.0.0.1:9000' is not an http:// or https:// URL with a host"),
    Case("url_no_host", _good_with("http://127.0.0.1:9000", "'http:///bridge'"), 2,
         "url 'http:///bridge' is not an http:// or https:// URL with a host"),
    Case("url_bad_ipv6", _good_with("http://127.0.0.1:9000", "'http://[::1'"), 2,
         "url 'http://[::1' is not an http:// or https:// URL with a host"),
    Case("url_bad_port", _good_with("http://127.0.0.1:9000", "http://127.0.0.1:99999"), 2,
         "url 'http://127.0.0.1:99999' is not an http:// or https:// URL with a host"),
]  # fmt: skip

HUGE = Case("sparse_gigabyte", None, 0, f"the file is larger than {LIMIT} bytes", special="sparse")


def materialize(folder: Path, case: Case) -> Path:
    """Write ``case`` into ``folder`` (owner-only, as a registration should be); its path."""
    path = folder / f"{case.name}.yaml"
    if case.special == "directory":
        path.mkdir()
    elif case.special == "fifo":  # opening it for reading would wait for a writer
        os.mkfifo(path)
    elif case.special == "device":  # reading it would never end
        path.symlink_to("/dev/zero")
    elif case.special == "sparse":
        with path.open("wb") as handle:
            handle.truncate(1 << 30)
    elif case.special != "missing":
        assert case.content is not None
        path.write_bytes(case.content)
    if path.is_file():
        path.chmod(0o600)
    return path


def located(path: Path, case: Case) -> str:
    """How a problem of ``case`` is shown: ``file:line: message`` or ``file: message``."""
    where = f"{path}:{case.line}" if case.line else str(path)
    return f"{where}: "
