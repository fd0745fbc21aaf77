"""`python -m tools.bench`: one tenant at scale against simulators with real latency and rate limits.

The simulators run in a child process (`simproc.py`) so the CPU and memory measured here are the
client's alone. `seeding.py` builds the book, `model.py` states the theoretical bound and the minimum
number of calls, `run.py` drives the cycles and `report.py` prints the figures.
"""
