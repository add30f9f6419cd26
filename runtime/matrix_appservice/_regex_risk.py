"""Spot regexes that can backtrack for exponential (or high-polynomial) time.

A backtracking engine gets slow when a repeated part can match the same text in more than
one way, because a failing match then tries every way of splitting the input:

- a repeat nested in a repeat whose iterations can run into each other: ``(a+)+``,
  ``(a*)*``, ``(.*a){20}``, ``(a?){30}``;
- alternatives under a repeat that can match the same text: ``(a|a)*``, ``(a|aa)+``.

The analysis walks the parse tree of Python's own regex parser (``re._parser``, a private
module: when it is missing or its tree has a shape this code does not know, the answer is
"unknown" rather than an exception). For each part it computes the set of characters a
match can start with, over a sample alphabet (ASCII, a few other characters, and every
literal of the pattern), and whether it can match the empty string; two parts that can start
with the same character are treated as able to match the same text. That is deliberately
cautious: it may flag a harmless ``(ab|ac)+``, and it cannot see every slow pattern (several
adjacent ``.*`` are polynomial and pass), which is why matching is also bounded in time.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = ["backtracking_risk"]

_SAMPLE = "".join(map(chr, range(128))) + "\u00a0\u00df\u00e9\u0660\u2028\u4e2d\U0001f600"


def _modules() -> tuple[Any, Any] | None:
    try:
        return importlib.import_module("re._parser"), importlib.import_module("re._constants")
    except ImportError:
        return None


class _UnknownShape(Exception):
    pass


class _Analysis:
    def __init__(self, c: Any, tree: Any) -> None:
        self.c = c
        self.fold = bool(tree.state.flags & re.IGNORECASE)
        self.dotall = bool(tree.state.flags & re.DOTALL)
        chars = set(_SAMPLE)
        self._literals(list(tree), chars)
        universe = sorted(chars)
        self.bit = {ch: 1 << i for i, ch in enumerate(universe)}
        self.all = (1 << len(universe)) - 1
        self._first: dict[int, tuple[int, bool]] = {}

    def _literals(self, seq: list[Any], out: set[str]) -> None:
        stack = [seq]
        while stack:
            for op, av in stack.pop():
                if op in (self.c.LITERAL, self.c.NOT_LITERAL):
                    out.add(chr(av))
                elif op is self.c.IN:
                    out.update(chr(v) for o, v in av if o is self.c.LITERAL)
                for sub in _children(self.c, op, av):
                    stack.append(sub)

    def _char(self, ch: str) -> int:
        mask = self.bit.get(ch, 0)
        if self.fold:
            for variant in (ch.lower(), ch.upper(), ch.casefold()):
                mask |= self.bit.get(variant, 0)
        return mask

    def _where(self, test: Any) -> int:
        mask = 0
        for ch, bit in self.bit.items():
            if test(ch) or (self.fold and (test(ch.lower()) or test(ch.upper()))):
                mask |= bit
        return mask

    def _category(self, name: str) -> int:
        tests: dict[str, Any] = {
            "DIGIT": str.isdecimal,
            "SPACE": str.isspace,
            "WORD": lambda ch: ch.isalnum() or ch == "_",
        }
        base = name.removeprefix("CATEGORY_").removeprefix("UNI_").removeprefix("LOC_")
        negate = base.startswith("NOT_")
        test = tests.get(base.removeprefix("NOT_"))
        if test is None:
            return self.all
        mask = self._where(test)
        return self.all & ~mask if negate else mask

    def _class(self, items: list[Any]) -> int:
        c, mask, negate = self.c, 0, False
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                mask |= self._char(chr(av))
            elif op is c.RANGE:
                lo, hi = av
                mask |= self._where(lambda ch, lo=lo, hi=hi: lo <= ord(ch) <= hi)
            elif op is c.CATEGORY:
                mask |= self._category(str(getattr(av, "name", av)))
            else:
                return self.all
        return self.all & ~mask if negate else mask

    def first(self, seq: list[Any]) -> tuple[int, bool]:
        """The characters a match of ``seq`` can start with, and whether it can be empty."""
        key = id(seq)
        if key not in self._first:
            mask = 0
            for op, av in seq:
                item, empty = self._item(op, av)
                mask |= item
                if not empty:
                    self._first[key] = (mask, False)
                    break
            else:
                self._first[key] = (mask, True)
        return self._first[key]

    def _item(self, op: Any, av: Any) -> tuple[int, bool]:
        c = self.c
        if op is c.LITERAL:
            return self._char(chr(av)), False
        if op is c.NOT_LITERAL:
            return self.all & ~self._char(chr(av)), False
        if op is c.ANY:
            return (self.all if self.dotall else self.all & ~self.bit["\n"]), False
        if op is c.IN:
            return self._class(av), False
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            mask, empty = self.first(av[2])
            return mask, empty or av[0] == 0
        if op is c.SUBPATTERN:
            return self.first(av[3])
        if op is c.ATOMIC_GROUP:
            return self.first(av)
        if op is c.BRANCH:
            parts = [self.first(b) for b in av[1]]
            return _union(parts), any(e for _, e in parts)
        if op is c.GROUPREF_EXISTS:
            parts = [self.first(b) if b is not None else (0, True) for b in av[1:]]
            return _union(parts), any(e for _, e in parts)
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return 0, True
        return self.all, True  # a back-reference or something new: it may start with anything

    def find(self, seq: list[Any]) -> str | None:
        """The first risky construct in ``seq`` (anywhere inside it), or None."""
        c = self.c
        for op, av in seq:
            if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] > 1:
                found = self._in_loop(av[2], self.first(av[2])[0])
                if found:
                    return found
            for sub in _children(c, op, av):
                found = self.find(sub)
                if found:
                    return found
        return None

    def _in_loop(self, seq: list[Any], follow: int) -> str | None:
        """Ambiguity inside the body of a repeat; ``follow`` starts what may come after ``seq``."""
        c = self.c
        after = [(0, True)] * (len(seq) + 1)
        for i in range(len(seq) - 1, -1, -1):
            mask, empty = self._item(*seq[i])
            rest, rest_empty = after[i + 1]
            after[i] = (mask | (rest if empty else 0), empty and rest_empty)
        for i, (op, av) in enumerate(seq):
            rest, rest_empty = after[i + 1]
            next_chars = rest | (follow if rest_empty else 0)
            if op in (c.MAX_REPEAT, c.MIN_REPEAT):
                body = self.first(av[2])[0]
                if av[0] != av[1] and body & next_chars:
                    return "a repeated part holds another repeat whose iterations can run into each other (nested quantifiers)"
                found = self._in_loop(av[2], body | next_chars if av[1] > 1 else next_chars)
            elif op is c.SUBPATTERN:
                found = self._in_loop(av[3], next_chars)
            elif op is c.BRANCH:
                found = self._branches(av[1], next_chars)
            elif op is c.GROUPREF_EXISTS:
                found = next(
                    (f for b in av[1:] if b is not None and (f := self._in_loop(b, next_chars))),
                    None,
                )
            else:
                continue  # a single character, an anchor, or a part that cannot give back
            if found:
                return found
        return None

    def _branches(self, branches: list[Any], follow: int) -> str | None:
        starts = [self.first(b) for b in branches]
        for i, (mi, ei) in enumerate(starts):
            for mj, ej in starts[i + 1 :]:
                if mi & mj or (ei and ej) or (ei and mj & follow) or (ej and mi & follow):
                    return "a repeated part has alternatives that can match the same text"
        for branch in branches:
            found = self._in_loop(branch, follow)
            if found:
                return found
        return None


def _union(parts: list[tuple[int, bool]]) -> int:
    mask = 0
    for part, _ in parts:
        mask |= part
    return mask


def _children(c: Any, op: Any, av: Any) -> list[list[Any]]:
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        return [av[2]]
    if op is c.SUBPATTERN:
        return [av[3]]
    if op is c.ATOMIC_GROUP:
        return [av]
    if op is c.BRANCH:
        return list(av[1])
    if op in (c.ASSERT, c.ASSERT_NOT):
        return [av[1]]
    if op is c.GROUPREF_EXISTS:
        return [b for b in av[1:] if b is not None]
    if op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN, c.AT, c.GROUPREF):
        return []
    raise _UnknownShape(str(op))


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` may backtrack catastrophically, or None when no such shape was seen.

    Call it on a pattern that compiles. A pattern nested too deeply to analyse is reported as
    a risk; when Python's private parser is missing or unfamiliar the answer is None.
    """
    modules = _modules()
    if modules is None:
        return None
    parser, constants = modules
    try:
        tree = parser.parse(pattern)
        analysis = _Analysis(constants, tree)
        return analysis.find(list(tree))
    except RecursionError:
        return "it is nested too deeply to analyse"
    except (_UnknownShape, AttributeError, TypeError, ValueError, IndexError, re.error):
        return None  # a parser version this analysis does not know: no verdict
