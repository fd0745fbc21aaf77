"""Exception alerts: rules over order facts, evaluated after each cycle, one open alert per order and rule."""

from orderbridge.alerts.evaluate import AlertOutcome, diff_alerts, evaluate_alerts
from orderbridge.alerts.rules import RULE_LABELS, Finding

__all__ = ["RULE_LABELS", "AlertOutcome", "Finding", "diff_alerts", "evaluate_alerts"]
