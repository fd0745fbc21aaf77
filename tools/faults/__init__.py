"""`python -m tools.faults`: the engine against both simulators under injected faults, and its report."""
