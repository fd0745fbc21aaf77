"""The core every layer stands on: pure domain types, the error tree, secret redaction and the clock.

Nothing here imports anything else of orderbridge's, and nothing here does I/O.
"""
