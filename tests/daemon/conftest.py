"""Daemon tests reuse the in-process world of the integration tests (both simulators on one SimClock)."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/ has no packages (pytest's default import mode), so the integration helpers are found by path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
