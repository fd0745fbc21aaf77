"""Start-up check of the XML parser under defusedxml: is the bundled expat one with the 2024 fixes?

Python's docs warn that expat below 2.6.0 "may be vulnerable to 'billion laughs', 'quadratic blowup'
and 'large tokens'" (reliability-security.md §4.1). orderbridge does not depend on expat for the first
two (defusedxml refuses every DTD and entity before expat could expand one), and the response byte
cap bounds the third, so an old expat is a warning for the operator, not a reason to refuse to start.
The CLI prints `expat_warning()` once at start-up when it is not None.
"""

from __future__ import annotations

import pyexpat

MINIMUM_EXPAT = (2, 6, 0)


def expat_version() -> tuple[int, int, int]:
    major, minor, micro = pyexpat.version_info
    return (major, minor, micro)


def expat_is_current(version: tuple[int, int, int] | None = None) -> bool:
    return (version or expat_version()) >= MINIMUM_EXPAT


def expat_warning(version: tuple[int, int, int] | None = None, *, max_response_bytes: int | None = None) -> str | None:
    """A warning naming the version and the mitigations in force, or None when expat is recent enough."""
    found = version or expat_version()
    if expat_is_current(found):
        return None
    have = ".".join(map(str, found))
    need = ".".join(map(str, MINIMUM_EXPAT))
    cap = f"{max_response_bytes:,}-byte" if max_response_bytes else "configured"
    return (
        f"this Python uses expat {have}, older than {need}, which may be vulnerable to 'billion laughs', "
        f"'quadratic blowup' and 'large tokens'. Mitigated here: every XML response is parsed by defusedxml "
        f"with DTDs and entities forbidden (the first two cannot occur), and bodies are cut at the {cap} cap "
        f"[http] max_response_bytes before parsing (bounding the third). To remove the warning, run a Python "
        f"whose expat is >= {need}: python.org builds bundle it from 3.11.9 and 3.12.3; a Python that links the "
        f"system libexpat needs that package updated."
    )
