"""Problems found in the sources, collected and reported together as ``file:line: message``."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = ["GeneratorError", "Level", "Loc", "Problem", "Problems", "SpecError"]


@dataclass(frozen=True, order=True)
class Loc:
    """A place in a source file (1-based line; 0 when the line is unknown)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Level(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    loc: Loc
    message: str
    level: Level = Level.ERROR

    def __str__(self) -> str:
        tag = "" if self.level is Level.ERROR else "warning: "
        return f"{self.loc}: {tag}{self.message}"


class GeneratorError(Exception):
    """A problem that stops the generator: the command prints it and exits with status 1."""


class SpecError(GeneratorError):
    """A single fatal problem in the sources, with its place, raised where collecting more is
    impossible."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message


@dataclass
class Problems:
    """An ordered, de-duplicated collection of problems."""

    items: list[Problem] = field(default_factory=list)

    def add(self, loc: Loc | None, message: str, level: Level = Level.ERROR) -> None:
        problem = Problem(loc or Loc("<generated>", 0), message, level)
        if problem not in self.items:
            self.items.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.level is Level.ERROR]

    def __bool__(self) -> bool:
        return bool(self.errors)

    def render(self) -> str:
        return "\n".join(str(p) for p in sorted(self.items))
