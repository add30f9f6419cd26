"""Registration files: bounded loading with line numbers, checks beyond the schema, namespace matching.

Reading a file
--------------
A registration file is a few KB. :func:`load_registration` refuses a file larger than
:data:`MAX_REGISTRATION_BYTES` (256 KiB) before reading it whole, text that is not UTF-8
(naming the byte offset) or holds a NUL byte, and YAML beyond plain values: anchors and
aliases (they let a few hundred bytes expand into gigabytes), dates and other typed
values (``id: 2024-01-01`` must be quoted), non-string or repeated keys, more than one
document, nesting deeper than 32 levels and more than 10,000 keys and values. The YAML is
parsed once; values and the line of each key come from that one pass.

Every problem is a :class:`Problem` naming the file and, where there is one, the line. A file
that cannot be read at all (missing, a directory, a pipe or device, no permission) raises
:class:`RegistrationReadError`; anything wrong with the content raises
:class:`RegistrationError` (its base class). The command line maps the first to exit status
2 (a usage error) and the second to exit status 1 (invalid).

Tokens and the URL
------------------
``as_token`` and ``hs_token`` must be usable as bearer tokens (the rules are in
``matrix_appservice._credentials``): an empty or whitespace-only token, or one with a
character an HTTP header cannot carry (a space, a tab, a line break, another control
character, anything beyond ASCII), is an error naming the field and its line; a token
shorter than 16 characters is a warning. ``url`` must not hold user info
(``http://user:password@host``): the token is the only credential. No message quotes a
token or a password, not even the schema's complaint about a token that is not a string.

Warnings do not stop loading; :attr:`LoadedRegistration.warnings` lists them: a file that
group or other users may access (it holds ``as_token`` and ``hs_token``), a short token, a
``sender_localpart`` that breaks the localpart grammar only by upper-case letters (what
mautrix bridges generate, and what Synapse accepts), and namespace regexes that can
backtrack catastrophically. With ``strict=True`` the last two are errors.

Namespaces
----------
:class:`NamespaceMatcher` (from ``matrix_appservice._namespaces``, re-exported here) answers
whether an identifier is in the registration's namespaces; its documentation gives the
matching rule and how matching time is bounded.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from matrix_appservice._credentials import (
    hide_userinfo,
    require_usable,
    token_problem,
    token_warning,
    userinfo_problem,
)
from matrix_appservice._namespaces import (
    DEFAULT_MATCH_TIMEOUT,
    MAX_IDENTIFIER_BYTES,
    Anchoring,
    NamespaceAnswer,
    NamespaceMatcher,
    NamespaceTimeoutError,
)
from matrix_appservice._plain_yaml import YamlProblems, read_plain_yaml, short
from matrix_appservice._regex_risk import backtracking_risk
from matrix_appservice._validator import validate
from matrix_appservice.models import Registration

__all__ = [
    "DEFAULT_MATCH_TIMEOUT",
    "MAX_IDENTIFIER_BYTES",
    "MAX_REGISTRATION_BYTES",
    "Anchoring",
    "LoadedRegistration",
    "NamespaceAnswer",
    "NamespaceMatcher",
    "NamespaceTimeoutError",
    "Problem",
    "RegistrationError",
    "RegistrationReadError",
    "check_registration",
    "check_registrations",
    "examine_registration",
    "load_registration",
    "parse_registration",
]


MAX_REGISTRATION_BYTES = 256 * 1024
"""A registration file larger than this (in bytes) is refused unread."""

# The characters the grammar allows in the localpart of a new user ID.
_LOCALPART = re.compile(r"[a-z0-9._=\-/+]+")
_KINDS = ("users", "aliases", "rooms")
_MESSAGE_LIMIT = 300


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a registration file; ``line`` is 0 when it concerns the whole file."""

    file: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        tag = "warning: " if self.severity == "warning" else ""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {tag}{self.message}"


class RegistrationError(ValueError):
    """A registration file (or a set of them) has problems; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


class RegistrationReadError(RegistrationError):
    """The file could not be read at all: missing, a directory, no permission (exit status 2)."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__([Problem(file, 0, message)])


@dataclass
class LoadedRegistration:
    """A parsed registration with where each value was written, and its warnings."""

    file: str
    data: dict[str, Any]
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    """Set by :func:`load_registration`: problems that do not make the file invalid."""

    def line(self, path: Sequence[str | int]) -> int:
        """The line of the value at ``path``, or of its nearest written parent."""
        parts = tuple(path)
        while parts and parts not in self.lines:
            parts = parts[:-1]
        return self.lines.get(parts, 1)

    @property
    def model(self) -> Registration:
        """The typed model (call after the file was checked)."""
        return Registration.model_validate(self.data)


def _size_problem(file: str) -> RegistrationError:
    return RegistrationError([Problem(file, 0, (
        f"the file is larger than {MAX_REGISTRATION_BYTES} bytes, the limit for a registration "
        "file (they are normally a few KB)"
    ))])  # fmt: skip


def _decode(data: bytes, file: str) -> str:
    if len(data) > MAX_REGISTRATION_BYTES:
        raise _size_problem(file)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RegistrationError([Problem(file, 1, "the file is UTF-16; save it as UTF-8")])
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise RegistrationError(
            [Problem(file, line, f"a NUL byte at byte offset {nul}; a registration file is text")]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegistrationError([Problem(file, line, (
            f"not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start} cannot be decoded; "
            "save the file as UTF-8"
        ))]) from None  # fmt: skip
    return text.removeprefix("\ufeff")


def parse_registration(source: str | bytes, file: str = "<registration>") -> LoadedRegistration:
    """Parse YAML (or JSON) text or bytes; any problem raises :class:`RegistrationError`.

    Applies the limits described in the module documentation (size, encoding, plain YAML
    values only, depth, number of values) and requires a mapping at the top.
    """
    if isinstance(source, str):
        if len(source) > MAX_REGISTRATION_BYTES:
            raise _size_problem(file)
        source = source.encode("utf-8", "surrogatepass")
    text = _decode(bytes(source), file)
    try:
        document = read_plain_yaml(text)
    except YamlProblems as exc:
        raise RegistrationError(
            [Problem(file, line, message) for line, message in exc.problems]
        ) from None
    if document.empty or document.value is None:
        raise RegistrationError(
            [
                Problem(
                    file,
                    1,
                    "the file is empty; a registration is a mapping of keys (id, url, as_token, ...) to values",
                )
            ]
        )
    if not isinstance(document.value, dict):
        kind = (
            "a list"
            if isinstance(document.value, list)
            else f"the single value {short(str(document.value))!r}"
        )
        raise RegistrationError(
            [Problem(file, 1, f"a registration must be a mapping of keys to values, not {kind}")]
        )
    return LoadedRegistration(file, document.value, document.lines)


def _namespace_entries(data: Mapping[str, Any], kind: str) -> list[tuple[int, dict[str, Any]]]:
    namespaces = data.get("namespaces")
    entries = namespaces.get(kind) if isinstance(namespaces, dict) else None
    if not isinstance(entries, list):
        return []
    return [(index, entry) for index, entry in enumerate(entries) if isinstance(entry, dict)]


def _regex_problems(reg: LoadedRegistration, strict: bool) -> list[Problem]:
    problems: list[Problem] = []
    for kind in _KINDS:
        for index, entry in _namespace_entries(reg.data, kind):
            regex = entry.get("regex")
            if not isinstance(regex, str):
                continue
            where = reg.line(("namespaces", kind, index, "regex"))
            name = f"namespaces.{kind}[{index}].regex '{short(regex)}'"
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    re.compile(regex)
                except re.error as exc:
                    problems.append(Problem(reg.file, where, f"{name} does not compile: {exc}"))
                    continue
                except (RecursionError, OverflowError):
                    problems.append(
                        Problem(reg.file, where, f"{name} is nested too deeply to compile")
                    )
                    continue
            for warning in caught:
                problems.append(Problem(reg.file, where, f"{name}: {warning.message}", "warning"))
            risk = backtracking_risk(regex)
            if risk:
                problems.append(Problem(reg.file, where, (
                    f"{name} can take exponential time to match: {risk}; rewrite it "
                    "(for example '(a+)+' as 'a+')"
                ), "error" if strict else "warning"))  # fmt: skip
    return problems


def _localpart_problem(reg: LoadedRegistration, strict: bool) -> Problem | None:
    local = reg.data.get("sender_localpart")
    if not isinstance(local, str) or _LOCALPART.fullmatch(local):
        return None
    where = reg.line(("sender_localpart",))
    if _LOCALPART.fullmatch(local.lower()):
        return Problem(reg.file, where, (
            f"sender_localpart {short(local)!r} has upper-case letters, which the localpart "
            "grammar does not allow (homeservers such as Synapse accept it, and mautrix bridges "
            "generate such names)"
        ), "error" if strict else "warning")  # fmt: skip
    return Problem(reg.file, where, (
        f"sender_localpart {short(local)!r} is not a valid localpart "
        "(lower-case a-z, 0-9 and ._=-/+ only)"
    ))  # fmt: skip


def _credential_problems(reg: LoadedRegistration) -> list[Problem]:
    """Tokens that cannot travel in a header or are empty (errors) or short (warnings), and
    a ``url`` with user info (an error); no message quotes a token."""
    problems: list[Problem] = []
    for key in ("as_token", "hs_token"):
        token = reg.data.get(key)
        if not isinstance(token, str):
            continue  # missing or not a string: the schema says so
        where = reg.line((key,))
        problem = token_problem(token)
        if problem is not None:
            problems.append(Problem(reg.file, where, f"{key} {problem}"))
        elif token_warning(token):
            problems.append(Problem(reg.file, where, f"{key} {token_warning(token)}", "warning"))
    url = reg.data.get("url")
    if isinstance(url, str) and userinfo_problem(url):
        problems.append(Problem(reg.file, reg.line(("url",)), f"url {userinfo_problem(url)}"))
    return problems


def check_registration(
    reg: LoadedRegistration, version: str | None = None, *, strict: bool = False
) -> list[Problem]:
    """Every problem in one registration: the schema of ``version`` and the rules beyond it.

    ``strict=True`` also refuses what homeservers accept but the rules do not: upper-case
    letters in ``sender_localpart`` and namespace regexes that can backtrack
    catastrophically (both warnings otherwise).
    """
    problems: list[Problem] = []
    result = validate(reg.data, registration=True, version=version)
    for issue in result.errors:
        path = _parse_path(issue.path)
        if path[:1] in (["as_token"], ["hs_token"]):
            message = f"{path[0]} must be a string (the value is not shown: it is a secret)"
        else:
            message = _describe(issue.path, issue.message)
        problems.append(Problem(reg.file, reg.line(path), message))
    problems += _regex_problems(reg, strict)
    problems += _credential_problems(reg)
    data = reg.data
    if isinstance(data.get("as_token"), str) and data.get("as_token") == data.get("hs_token"):
        problems.append(
            Problem(
                reg.file,
                reg.line(("hs_token",)),
                "as_token and hs_token must differ: each proves a different side",
            )
        )
    localpart = _localpart_problem(reg, strict)
    if localpart is not None:
        problems.append(localpart)
    url = _url_problem(reg)
    if url is not None:
        problems.append(url)
    return sorted(problems)


def _url_problem(reg: LoadedRegistration) -> Problem | None:
    """``url`` must be an ``http://`` or ``https://`` URL with a host (or null): anything else
    leaves the homeserver, and ``serve``, guessing where the appservice is."""
    url = reg.data.get("url")
    if not isinstance(url, str):
        return None  # null is allowed; another type is a schema error already
    try:
        parts = urlsplit(url)
        good = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and not any(c.isspace() for c in url)
        )
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        good = False
    if good:
        return None
    shown = short(hide_userinfo(url))  # a password in it is never shown
    return Problem(reg.file, reg.line(("url",)), (
        f"url {shown!r} is not an http:// or https:// URL with a host "
        "(e.g. http://localhost:9031), or null"
    ))  # fmt: skip


def _parse_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for match in re.finditer(
        r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\"(?:[^\"\\]|\\.)*\")\]", path
    ):
        name, index, quoted = match.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append(str(json.loads(quoted)))
    return parts


def _describe(path: str, message: str) -> str:
    missing = re.fullmatch(r'"(.+)" is a required property', message)
    if missing:
        where = "" if path == "$" else f" in {path[2:]}"
        return f"missing required key {missing.group(1)!r}{where}"
    return f"{path[2:] or 'the file'}: {short(message, _MESSAGE_LIMIT)}"


def _read(path: str | Path) -> tuple[bytes, os.stat_result]:
    file = str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as handle:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
            if not stat.S_ISREG(info.st_mode):
                raise RegistrationReadError(file, (
                    "is not a regular file (a device, pipe or socket); a registration must "
                    "be a file"
                ))  # fmt: skip
            too_large = info.st_size > MAX_REGISTRATION_BYTES
            data = b"" if too_large else handle.read(MAX_REGISTRATION_BYTES + 1)
    except RegistrationReadError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        reason = (getattr(exc, "strerror", None) or str(exc)).lower()
        raise RegistrationReadError(file, f"cannot read the file: {reason}") from None
    if too_large:
        raise _size_problem(file)
    return data, info


def _mode_warning(file: str, info: os.stat_result) -> Problem | None:
    if os.name != "posix" or not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o077:
        return None
    mode = stat.S_IMODE(info.st_mode)
    return Problem(file, 0, (
        f"other users have access to the file (mode {mode:04o}) and it holds as_token and "
        "hs_token; restrict it, e.g. chmod 600"
    ), "warning")  # fmt: skip


def examine_registration(
    path: str | Path, version: str | None = None, *, strict: bool = False
) -> tuple[LoadedRegistration | None, list[Problem]]:
    """Read, parse and check one file; return it (None when unparsable) and every problem.

    Raises :class:`RegistrationReadError` only, when the file cannot be read at all.
    """
    file = str(path)
    try:
        data, info = _read(path)
    except RegistrationReadError:
        raise
    except RegistrationError as exc:  # too large: a problem of the content
        return None, exc.problems
    warning = _mode_warning(file, info)
    found = [warning] if warning else []
    try:
        reg = parse_registration(data, file)
    except RegistrationError as exc:
        return None, sorted(found + exc.problems)
    return reg, sorted(found + check_registration(reg, version, strict=strict))


def load_registration(
    path: str | Path, version: str | None = None, *, strict: bool = False
) -> LoadedRegistration:
    """Read and check one file; raise :class:`RegistrationError` listing every error.

    A file that cannot be read raises :class:`RegistrationReadError` (a subclass). Warnings
    (see the module documentation) are kept in the result's ``warnings``; ``strict=True``
    turns the upper-case ``sender_localpart`` and catastrophic-regex warnings into errors.
    """
    reg, problems = examine_registration(path, version, strict=strict)
    errors = [p for p in problems if p.severity == "error"]
    if errors or reg is None:
        raise RegistrationError(errors)
    reg.warnings = [p for p in problems if p.severity == "warning"]
    return reg


RegistrationSource = str | Path | LoadedRegistration | Registration | Mapping[str, Any]
"""What the servers take as a registration: a file, a loaded registration, a model, a mapping."""


def _checked_model(
    source: RegistrationSource, version: str | None
) -> tuple[Registration, str | None]:
    """The model of a registration, checked as :func:`load_registration` checks a file (a
    model only for its tokens and URL), and the file it was read from (``None`` if none);
    :class:`RegistrationError` for an error."""
    if isinstance(source, (str, Path)):
        loaded = load_registration(source, version)
        return loaded.model, loaded.file
    if isinstance(source, Registration):  # not checked by the loader
        require_usable(source)
        return source, None
    if isinstance(source, Mapping):
        source = LoadedRegistration("<registration>", dict(source))
    if isinstance(source, LoadedRegistration):
        errors = [p for p in check_registration(source, version) if p.severity == "error"]
        if errors:
            raise RegistrationError(errors)
        return source.model, source.file if Path(source.file).is_file() else None
    raise TypeError(
        "a registration must be a file path, a LoadedRegistration, a Registration or a "
        f"mapping, not {type(source).__name__}"
    )


def _literal_prefix(regex: str) -> str:
    """The fixed text every match starts with (for overlap warnings)."""
    out = ""
    body = regex[1:] if regex.startswith("^") else regex
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and not body[index + 1].isalnum():
            out += body[index + 1]
            index += 2
            continue
        if char in ".*+?[](){}|^$\\":
            # A quantifier makes the character before it optional.
            return out[:-1] if char in "*?{" and out else out
        out += char
        index += 1
    return out


def check_registrations(regs: Iterable[LoadedRegistration]) -> list[Problem]:
    """Problems across a set: repeated ``id`` or ``as_token`` (errors), and exclusive
    namespaces that may overlap between registrations (warnings)."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], LoadedRegistration] = {}
    regs = list(regs)
    for reg in regs:
        for key in ("id", "as_token"):
            value = reg.data.get(key)
            if not isinstance(value, str):
                continue
            first = seen.get((key, value))
            if first is not None:
                problems.append(
                    Problem(
                        reg.file,
                        reg.line((key,)),
                        f"{key} is also used by {first.file}:{first.line((key,))}; it must be unique",
                    )
                )
            else:
                seen[(key, value)] = reg
    for kind in _KINDS:
        exclusive = [
            (reg, i, e["regex"])
            for reg in regs
            for i, e in _namespace_entries(reg.data, kind)
            if e.get("exclusive") is True and isinstance(e.get("regex"), str)
        ]
        for a in range(len(exclusive)):
            for b in range(a + 1, len(exclusive)):
                (ra, ia, xa), (rb, ib, xb) = exclusive[a], exclusive[b]
                if ra is rb:
                    continue
                pa, pb = _literal_prefix(xa), _literal_prefix(xb)
                if xa == xb or pa.startswith(pb) or pb.startswith(pa):
                    problems.append(
                        Problem(
                            rb.file,
                            rb.line(("namespaces", kind, ib, "regex")),
                            f"exclusive {kind} namespace '{short(xb)}' may overlap '{short(xa)}' of {ra.file}:{ra.line(('namespaces', kind, ia, 'regex'))}",
                            "warning",
                        )
                    )
    return sorted(problems)
