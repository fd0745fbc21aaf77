"""What every doctor check returns: a `Finding` (ok or a problem, with its cause and fix) and a `Report`.

A finding that is a problem always carries both a cause and a fix in plain words: "TD SYNNEX does not
know PO 4711" is not enough, the operator also needs "check the PO number against the order
confirmation". The report decides the exit code, so monitoring can run `orderbridge doctor`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from orderbridge.core.terminal import for_terminal


@dataclass(frozen=True)
class Finding:
    """One check's outcome. `ok=False` means a problem; `info=True` marks a plain fact with no verdict."""

    check: str  # stable id, e.g. "tdsynnex.auth", "po.not_found"
    ok: bool
    summary: str
    cause: str = ""
    fix: str = ""
    detail: str = ""
    info: bool = False

    def __post_init__(self) -> None:
        if not self.ok and not (self.cause and self.fix):
            raise ValueError(f"finding {self.check!r} is a problem without a cause and a fix")

    @classmethod
    def fact(cls, check: str, summary: str, detail: str = "") -> Finding:
        return cls(check, True, summary, detail=detail, info=True)

    @classmethod
    def passed(cls, check: str, summary: str) -> Finding:
        return cls(check, True, summary)

    @classmethod
    def problem(cls, check: str, summary: str, *, cause: str, fix: str, detail: str = "") -> Finding:
        return cls(check, False, summary, cause=cause, fix=fix, detail=detail)

    def text(self) -> str:
        """The finding as an operator reads it, cause and fix on their own lines. Findings quote PO
        numbers, TD SYNNEX codes and error messages, so every part is escaped for the terminal."""
        summary, cause, fix, detail = (for_terminal(part) for part in (self.summary, self.cause, self.fix, self.detail))
        if self.ok:
            mark = "-" if self.info else "ok"
            line = f"{mark:>4}  {summary}"
            return line + (f"\n      {detail}" if detail else "")
        parts = [f"FAIL  {summary}", f"      cause: {cause}", f"      fix:   {fix}"]
        if detail:
            parts.append(f"      detail: {detail}")
        return "\n".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "ok": self.ok,
            "summary": self.summary,
            "cause": self.cause,
            "fix": self.fix,
            "detail": self.detail,
        }


@dataclass
class Report:
    """Findings under headings ("tenant default", "PO 4711"), in the order they were checked."""

    sections: list[tuple[str, list[Finding]]] = field(default_factory=list)

    def add(self, heading: str, findings: Iterable[Finding]) -> None:
        self.sections.append((heading, list(findings)))

    def __iter__(self) -> Iterator[Finding]:
        for _heading, findings in self.sections:
            yield from findings

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self if not finding.ok]

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def text(self) -> str:
        out: list[str] = []
        for heading, findings in self.sections:
            out.append(f"== {for_terminal(heading, newlines=False)}")
            out.extend(finding.text() for finding in findings)
        count = len(self.problems)
        out.append("no problems found" if not count else f"{count} problem(s) found")
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "sections": [
                {"heading": heading, "findings": [f.as_dict() for f in findings]} for heading, findings in self.sections
            ],
        }
