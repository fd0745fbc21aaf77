"""Delivery reports over order facts: the facts hook the engine calls, the figures, and their renderings."""

from orderbridge.reports.facts import facts_row
from orderbridge.reports.figures import Report, build_report
from orderbridge.reports.load import load_report
from orderbridge.reports.render import write_report

__all__ = ["Report", "build_report", "facts_row", "load_report", "write_report"]
