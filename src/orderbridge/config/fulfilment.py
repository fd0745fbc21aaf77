"""`[fulfilment]`: what orderbridge does in ConnectWise once goods arrive, beyond the PO itself. All off.

Three optional writes (issue 17): a service ticket on a board so someone coordinates the delivery,
receiving the PO lines when the carriers confirm delivery, and configurations for the shipped serial
numbers on the customer's company. Board, statuses and configuration types are named as a person sees
them in ConnectWise; `setup` and `doctor` resolve the names to ids and say which one is missing.
Also the link that opens a PO in ConnectWise's own screens (the dashboard's PO page).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from orderbridge.config.services import Section

TICKET_FIELDS = ("po_number", "po_id", "customer", "delivered")


class FulfilmentSettings(Section):
    coordination_board: str = Field(
        default="", description="service board of the delivery-coordination ticket; '' = no ticket"
    )
    coordination_status: str = Field(default="", description="ticket status name on that board; '' = the default")
    coordination_type: str = Field(default="", description="ticket type name on that board; '' = none")
    coordination_summary: str = Field(
        default="Delivered: PO {po_number} for {customer}",
        description="ticket summary; {po_number} {po_id} {customer} {delivered} are filled in",
    )
    receive_on_delivery: bool = Field(
        default=False, description="receive PO lines in ConnectWise once every package of a line is delivered"
    )
    receive_scope: Literal["drop_ship", "all"] = Field(
        default="drop_ship", description="which POs are received: drop-ship POs only, or every PO"
    )
    configurations: bool = Field(
        default=False, description="create a configuration per shipped serial number on the customer's company"
    )
    configuration_type: str = Field(default="", description="configuration type name for those configurations")
    configuration_status: str = Field(default="", description="configuration status name; '' = the default")
    po_link: str = Field(
        default="",
        description="URL opening a PO in ConnectWise, with {id}; '' = derived from [connectwise] base_url",
    )

    @field_validator("coordination_summary")
    @classmethod
    def _summary_fields(cls, value: str) -> str:
        try:
            value.format(**dict.fromkeys(TICKET_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"cannot be filled in ({exc!s}); use only {', '.join('{' + f + '}' for f in TICKET_FIELDS)}"
            ) from None
        if not value.strip():
            raise ValueError("is empty; a ticket needs a summary")
        return value

    @field_validator("po_link")
    @classmethod
    def _link_has_id(cls, value: str) -> str:
        if value and ("{id}" not in value or not value.lower().startswith(("https://", "http://"))):
            raise ValueError("must be an http(s) URL containing {id} (the PO's record id)")
        return value

    @model_validator(mode="after")
    def _type_given(self) -> FulfilmentSettings:
        if self.configurations and not self.configuration_type.strip():
            raise ValueError(
                "configurations = true needs configuration_type: the ConnectWise configuration type to create"
            )
        return self

    @property
    def coordination(self) -> bool:
        return bool(self.coordination_board.strip())

    @property
    def enabled(self) -> bool:
        return self.coordination or self.receive_on_delivery or self.configurations


def po_link(settings: FulfilmentSettings, base_url: str, po_id: int) -> str:
    """The URL that opens PO `po_id` in ConnectWise. Derived: the API host without its `api-` prefix, the
    codebase, then `ConnectWise.aspx?locale=en_US&routeTo=PurchaseOrderFV&recid=<id>`. Tickets are known to
    open with `routeTo=ServiceFV&recid=`; the PO screen's name `PurchaseOrderFV` is UNCONFIRMED, hence
    `po_link` to override it."""
    if settings.po_link:
        return settings.po_link.replace("{id}", str(po_id))
    scheme, _, rest = base_url.partition("://")
    host, _, path = rest.partition("/")
    if host.lower().startswith("api-"):
        host = host[4:]
    codebase = path.split("/apis/", 1)[0].strip("/") or "v4_6_release"
    return (
        f"{scheme or 'https'}://{host}/{codebase}/ConnectWise.aspx?locale=en_US&routeTo=PurchaseOrderFV&recid={po_id}"
    )
