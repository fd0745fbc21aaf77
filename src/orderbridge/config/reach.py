"""`[reach]`: who hears about which PO event, and by which channel (issue 17).

Events (`shipped`, `partly_shipped`, `delivered`, `back_ordered`, `delay`, `exception`) map to audiences
(`customer`: the PO's customer contact; `ticket_contact`: the contact on the ticket behind the PO;
`sales_rep`: the opportunity's primary sales rep; `project_manager`: the project's manager; `staff`: the
MSP's own Apprise URLs of `[notifications]`). Each audience has its channels: `email` (SMTP, to the
address ConnectWise holds), `ticket_note` (a note on the linked ticket, customer-facing when configured so
ConnectWise's own templates can mail it) and `apprise` (staff only). Companies opt out (or, when `opt_in`
is given, only those opt in) by id, identifier or name. The SMTP password is a secret throughout.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from orderbridge.config.services import Section
from orderbridge.core.redaction import register_secret

EVENTS = ("shipped", "partly_shipped", "delivered", "back_ordered", "delay", "exception")
AUDIENCES = ("customer", "ticket_contact", "sales_rep", "project_manager", "staff")
CHANNELS = ("email", "ticket_note", "apprise")
# Which channels can reach which audience: a member has no ticket of their own to be noted on, and the
# Apprise URLs are the MSP's, never a customer's.
ALLOWED: dict[str, tuple[str, ...]] = {
    "customer": ("email", "ticket_note"),
    "ticket_contact": ("email", "ticket_note"),
    "sales_rep": ("email",),
    "project_manager": ("email", "ticket_note"),
    "staff": ("apprise",),
}
DEFAULT_RULES: dict[str, tuple[str, ...]] = {
    "shipped": ("customer", "ticket_contact"),
    "partly_shipped": ("customer", "ticket_contact"),
    "delivered": ("customer", "ticket_contact", "sales_rep"),
    "back_ordered": ("customer", "sales_rep"),
    "delay": ("project_manager", "customer"),
    "exception": ("staff", "project_manager"),
}
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "customer": ("email",),
    "ticket_contact": ("ticket_note",),
    "sales_rep": ("email",),
    "project_manager": ("email",),
    "staff": ("apprise",),
}


class SmtpSettings(Section):
    host: str = Field(default="", description="SMTP server; empty means no email is sent")
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    from_address: str = Field(default="", description="From: of customer emails, e.g. 'Acme IT <it@acme.example>'")
    reply_to: str = ""
    timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("password")
    @classmethod
    def _remember_secret(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value():
            register_secret(value.get_secret_value())
        return value


class ReachSettings(Section):
    enabled: bool = False
    rules: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_RULES))
    channels: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    opt_out: tuple[str, ...] = Field(default=(), description="companies (id, identifier or name) never told")
    opt_in: tuple[str, ...] = Field(default=(), description="when given, only these companies are told")
    customer_facing_notes: bool = Field(default=True, description="ticket notes on the Discussion tab, not Internal")
    process_notifications: bool = Field(default=True, description="let ConnectWise's own workflows/templates fire")
    phase_delay: bool = Field(default=True, description="a delay past the project phase's date alerts its manager")
    templates_dir: str = Field(default="", description="Jinja2 templates overriding the shipped ones")
    tracking_links: bool = True
    smtp: SmtpSettings = SmtpSettings()

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for event, audiences in value.items():
            if event not in EVENTS:
                raise ValueError(f"unknown event {event!r}; use one of {', '.join(EVENTS)}")
            for audience in audiences:
                if audience not in AUDIENCES:
                    raise ValueError(f"unknown audience {audience!r} for {event}; use one of {', '.join(AUDIENCES)}")
        return value

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for audience, channels in value.items():
            if audience not in AUDIENCES:
                raise ValueError(f"unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}")
            for channel in channels:
                if channel not in ALLOWED[audience]:
                    allowed = ", ".join(ALLOWED[audience])
                    raise ValueError(f"channel {channel!r} cannot reach {audience}; use {allowed}")
        return value

    @model_validator(mode="after")
    def _email_needs_smtp(self) -> ReachSettings:
        wants_email = any("email" in channels for channels in self.channels.values())
        if self.enabled and wants_email and self.smtp.host and not self.smtp.from_address:
            raise ValueError("reach.smtp.from_address is required when reach.smtp.host is set")
        return self

    def channels_for(self, audience: str) -> tuple[str, ...]:
        return self.channels.get(audience, DEFAULT_CHANNELS.get(audience, ()))
