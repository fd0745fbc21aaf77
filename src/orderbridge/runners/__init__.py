"""The ways a sync is run: one cycle (`sync --once`), the daemon, setup, replay, backfill, the worker, the demo.

Each runner builds an engine for its own variant (which POs it looks at, where answers come from, what
the operator's view hears), through the engine's constructor, and owns the single-writer lock.
"""
