"""Message text from editable Jinja2 templates: the customer email (subject, text, HTML), the ticket note
and the staff line.

Templates ship in `reach/templates/`; `[reach] templates_dir` holds overrides by the same file names, so an
MSP edits only what it wants different. Rendering is sandboxed (a template file is configuration, not
code) and the HTML template is autoescaped: a product description or a carrier's scan text is data.
Every ticket note ends with the outbox key's marker, so a retried note is found, not written twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from orderbridge.connectwise.context import PoContext
from orderbridge.core.domain import ShipmentMethod
from orderbridge.core.errors import ConfigError
from orderbridge.reach.audience import LABELS, Decision, phase_overdue
from orderbridge.rules.carriers import match_shipment_method, tracking_link
from orderbridge.rules.notes import note_marker

NOTE_LIMIT = 4000
TEMPLATE_NAMES = ("subject.txt.j2", "email.txt.j2", "email.html.j2", "note.txt.j2", "staff.txt.j2")


@lru_cache(maxsize=8)
def environment(templates_dir: str = "") -> SandboxedEnvironment:
    loaders: list[Any] = [PackageLoader("orderbridge.reach", "templates")]
    if templates_dir:
        loaders.insert(0, FileSystemLoader(templates_dir))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class Link:
    number: str
    url: str | None


def tracking(details: dict[str, Any], methods: Sequence[ShipmentMethod], *, links: bool = True) -> list[Link]:
    numbers = [str(n) for n in details.get("tracking_numbers") or ()]
    if not numbers and details.get("tracking_number"):
        numbers = [str(details["tracking_number"])]
    method = match_shipment_method(details.get("ship_method"), details.get("ship_method_description"), methods)
    # Delivery events name each package's carrier; shipment events name the ship method.
    carriers = {
        str(p.get("tracking_number")): p.get("carrier") for p in details.get("packages") or () if isinstance(p, dict)
    }
    out = []
    for n in numbers:
        carrier = carriers.get(n, details.get("carrier"))
        url = tracking_link(n, method, carrier if isinstance(carrier, str) else None) if links else None
        out.append(Link(n, url))
    return out


def _moment(value: Any) -> str | None:
    """An ISO timestamp as a person reads it in an email ("2026-12-05 23:54 UTC")."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def values(
    decision: Decision,
    context: PoContext,
    po_number: str,
    methods: Sequence[ShipmentMethod],
    *,
    today: date,
    links: bool = True,
) -> dict[str, Any]:
    """What a template may use; documented in config.example.toml under [reach]."""
    event = decision.event
    details = dict(event.details)
    estimate = details.get("estimate") or details.get("tds_estimate")
    expected = date.fromisoformat(estimate) if isinstance(estimate, str) and len(estimate) == 10 else None
    return {
        "event": event.name,
        "event_label": LABELS.get(event.name, event.name),
        "summary": event.summary,
        "audience": decision.audience,
        "recipient_name": decision.recipient_name if decision.audience != "staff" else None,
        "po_number": po_number,
        "company": context.company_name,
        "items": [item for item in context.items if not item.canceled],
        "tracking": tracking(details, methods, links=links),
        "estimated_delivery": estimate,
        "delivered_at": _moment(details.get("delivered_at")),
        "signed_by": details.get("signed_by"),
        "ticket_id": context.ticket_id,
        "project_name": context.project_name,
        "phase_name": context.phase_name,
        "phase_due": context.phase_due.isoformat() if context.phase_due else None,
        "phase_late": event.name == "delay" and phase_overdue(context, expected, today),
    }


def _render(env: SandboxedEnvironment, name: str, data: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(**data)
    except TemplateError as exc:
        raise ConfigError("reach.templates_dir", f"template {name}: {type(exc).__name__}: {exc}") from None


def render(decision: Decision, data: dict[str, Any], message_key: str, *, templates_dir: str = "") -> dict[str, Any]:
    """The stored content of one message: what the channel sends, nothing else."""
    env = environment(templates_dir)
    subject = " ".join(_render(env, "subject.txt.j2", data).split())
    if decision.channel == "email":
        headline = _render(env, "email.txt.j2", data).strip().split("\n\n")[1:2]
        html_data = {**data, "headline": headline[0].strip() if headline else data["summary"]}
        return {
            "subject": subject,
            "text": _render(env, "email.txt.j2", data).strip() + "\n",
            "html": _render(env, "email.html.j2", html_data),
        }
    if decision.channel == "ticket_note":
        marker = note_marker(f"reach:{message_key}")
        text = " ".join(_render(env, "note.txt.j2", data).split())
        return {"subject": subject, "text": f"{text[: NOTE_LIMIT - len(marker) - 1]} {marker}"}
    text = " ".join(_render(env, "staff.txt.j2", data).split())
    return {"subject": subject, "text": text}
