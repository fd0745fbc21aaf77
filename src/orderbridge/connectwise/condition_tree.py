"""The parsed form of a ConnectWise condition: comparison, AND, OR and NOT nodes.

Nodes are frozen and compare by meaning (field, operator, literal), so tests can build them directly
and compare them with what the parser returns; each comparison compiles its predicate once, on creation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from orderbridge.connectwise.condition_eval import ALL_OPS, FieldPath, Literal, Test, compile_test
from orderbridge.connectwise.condition_syntax import condition, is_field_path


class UnknownConditionField(ValueError):
    """A condition names a field the resource does not have (ConnectWise answers `ApiFindCondition`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"{name} is not a recognized name.")


class Condition(ABC):
    """A parsed condition: parse once, then `matches` as many records as needed."""

    @abstractmethod
    def matches(self, record: Mapping[str, Any]) -> bool: ...

    @abstractmethod
    def field_paths(self) -> Iterator[str]:
        """Every field path referenced, in order of appearance, repeats included."""

    @abstractmethod
    def to_text(self) -> str:
        """Condition text that parses back to an equal condition."""

    def fields(self) -> frozenset[str]:
        """Referenced field paths, spelled as written (ConnectWise matches them case-insensitively)."""
        return frozenset(self.field_paths())

    def check_fields(self, known: Callable[[str], bool]) -> None:
        """Raise `UnknownConditionField` for the first path `known` rejects.

        `LastUpdated` is always accepted: every ConnectWise object answers it (AMP read.go).
        """
        for path in self.field_paths():
            if path.casefold() != "lastupdated" and not known(path):
                raise UnknownConditionField(path)

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class Comparison(Condition):
    field: str
    op: str  # normalised: one of condition_eval.ALL_OPS, lower case, single spaces
    value: Literal  # a tuple exactly when op is `in` / `not in`
    _path: FieldPath = dataclass_field(init=False, repr=False, compare=False)
    _test: Test = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_field_path(self.field):
            raise ValueError(f"not a field path: {self.field!r}")
        if self.op not in ALL_OPS:
            raise ValueError(f"unknown operator {self.op!r}")
        if self.op.endswith("in") != isinstance(self.value, tuple) or self.value == ():
            raise ValueError(f"operator {self.op!r} does not take {self.value!r}")
        object.__setattr__(self, "_path", FieldPath(self.field))
        object.__setattr__(self, "_test", compile_test(self.op, self.value))

    def matches(self, record: Mapping[str, Any]) -> bool:
        return self._test(self._path.resolve(record))

    def field_paths(self) -> Iterator[str]:
        yield self.field

    def to_text(self) -> str:
        return condition(self.field, self.op, self.value)


@dataclass(frozen=True)
class And(Condition):
    parts: tuple[Condition, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        return all(part.matches(record) for part in self.parts)

    def field_paths(self) -> Iterator[str]:
        for part in self.parts:
            yield from part.field_paths()

    def to_text(self) -> str:
        # AND binds tighter than OR, so only an OR inside an AND needs parentheses.
        return " AND ".join(f"({p.to_text()})" if isinstance(p, Or) else p.to_text() for p in self.parts)


@dataclass(frozen=True)
class Or(Condition):
    parts: tuple[Condition, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        return any(part.matches(record) for part in self.parts)

    def field_paths(self) -> Iterator[str]:
        for part in self.parts:
            yield from part.field_paths()

    def to_text(self) -> str:
        return " OR ".join(part.to_text() for part in self.parts)


@dataclass(frozen=True)
class Not(Condition):
    """`NOT (...)`: not in the DG (which only has the `not contains` form); accepted for generosity."""

    part: Condition

    def matches(self, record: Mapping[str, Any]) -> bool:
        return not self.part.matches(record)

    def field_paths(self) -> Iterator[str]:
        return self.part.field_paths()

    def to_text(self) -> str:
        return f"NOT ({self.part.to_text()})"
