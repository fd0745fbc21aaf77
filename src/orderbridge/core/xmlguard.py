"""Start-up check of the XML parser under defusedxml: is the bundled expat one with the 2024 fixes?

Python's docs warn that expat below 2.6.0 "may be vulnerable to 'billion laughs', 'quadratic blowup'
and 'large tokens'" (reliability-security.md §4.1). orderbridge does not depend on expat for the first
two (defusedxml refuses every DTD and entity before expat could expand one), and the response byte
cap bounds the third, so an old expat is a warning for the operator, not a reason to refuse to start.
The commands that parse TD SYNNEX XML print `expat_warning()`, one line, once per run, unless
`[display] expat_warning = false` (cli/common.py `warn_old_expat`).
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
    """One line naming the version, the mitigations in force and how to silence it; None when expat is
    recent enough. The why in full is this module's docstring and reliability-security.md §4.1."""
    found = version or expat_version()
    if expat_is_current(found):
        return None
    have = ".".join(map(str, found))
    need = ".".join(map(str, MINIMUM_EXPAT))
    cap = f"{max_response_bytes:,}-byte" if max_response_bytes else "configured"
    # One line, so it does not push the command's own output off screen; the remedy (a Python with a
    # newer expat) is in config.example.toml beside the switch that silences it.
    return (
        f"this Python's expat {have} is older than {need}; XML stays safe here (defusedxml, {cap} response "
        f"cap). Silence: [display] expat_warning = false"
    )
