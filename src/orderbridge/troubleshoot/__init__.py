"""Troubleshooting: why a PO stops updating, and whether a tenant can sync at all, in plain words.

`findings` holds the value a check produces (what was found, the cause, the fix); `network` and
`probes` ask the configured services live; `health` reads the store (schema, last cycle, schedule
lag); `po` explains one PO end to end. The diagnosis rules are pure functions over what was gathered,
so each cause on the troubleshooting list is tested without staging a failure twice.
"""

from orderbridge.troubleshoot.findings import Finding, Report

__all__ = ["Finding", "Report"]
