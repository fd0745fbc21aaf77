"""The business rules of the sync, as pure functions: stages, the planner, closing, carriers, notes, schedule.

Nothing here does I/O; every rule is a function of the PO, TD SYNNEX's answer and what we knew before,
so `--dry-run` prints the plan and the tests table-drive it.
"""
