"""Property tests for the TD SYNNEX codec: it fails only in the documented ways, and reads what it is given.

(a) arbitrary and mutated bytes raise nothing but MalformedResponse/DistributorError/AuthSuspected;
(b) a random order rendered to XML here (with the spelling, case and offset drift TD SYNNEX shows) parses back
    to the same values; (c) the request builder round-trips any text credential.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderbridge.core.domain import DistributorLine, DistributorOrder, Package, StatusCode
from orderbridge.core.errors import AuthSuspected, DistributorError, MalformedResponse
from orderbridge.tdsynnex.xml import build_status_request, parse_status_request, parse_status_response

PAYLOADS = sorted((Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex").glob("*.xml"))
PACIFIC = ZoneInfo("America/Los_Angeles")
EXPECTED = (MalformedResponse, DistributorError, AuthSuspected)


def parses_or_fails_cleanly(body: bytes) -> None:
    with contextlib.suppress(*EXPECTED):
        parse_status_response(body, tz=PACIFIC)
    with contextlib.suppress(MalformedResponse):
        parse_status_request(body)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_fail_cleanly(body: bytes) -> None:
    parses_or_fails_cleanly(body)


@given(st.text(alphabet=st.sampled_from(list("<>/=\"' &;#!?-[]abcXYZ0129\n")), max_size=300))
def test_xml_like_noise_fails_cleanly(text: str) -> None:
    parses_or_fails_cleanly(text.encode())


@st.composite
def mutated_payload(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(PAYLOADS)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "truncate"]))
        if kind == "truncate":
            del body[at:]
        elif kind == "delete":
            del body[at : at + draw(st.integers(1, 40))]
        else:
            chunk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"<", b">", b"&", b"</Item>", b"\x00"]))
            body[at : at + (len(chunk) if kind == "replace" else 0)] = chunk
    return bytes(body)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(mutated_payload())
def test_mutated_golden_payloads_fail_cleanly(body: bytes) -> None:
    parses_or_fails_cleanly(body)


# ------------------------------------------------------------------------------ render, parse, compare

WORD = (
    st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
AMOUNT = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
LOCAL_TIME = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2035, 1, 1))
DAY = st.dates(min_value=date(2005, 1, 1), max_value=date(2035, 1, 1))


def case(draw: st.DrawFn, name: str) -> str:
    """TD SYNNEX and its spec disagree on capitalisation; the reader must not care."""
    return draw(st.sampled_from([name, name.lower(), name.upper()]))


def add(draw: st.DrawFn, parent: ET.Element, names: list[str], text: str | None) -> None:
    """None is rendered either as an absent element or an empty one: both mean 'no value'."""
    if text is None and draw(st.booleans()):
        return
    ET.SubElement(parent, case(draw, draw(st.sampled_from(names)))).text = text


def render_time(draw: st.DrawFn, local: datetime | None) -> tuple[str | None, datetime | None]:
    if local is None:
        return None, None
    style = draw(st.sampled_from(["naive", "z", "offset"]))
    if style == "naive":
        return local.isoformat(), local.replace(tzinfo=PACIFIC).astimezone(UTC)
    zone = UTC if style == "z" else timezone(timedelta(hours=draw(st.integers(-11, 12))))
    aware = local.replace(tzinfo=zone)
    return aware.isoformat().replace("+00:00", "Z" if style == "z" else "+00:00"), aware.astimezone(UTC)


def render_day(draw: st.DrawFn, day: date | None) -> str | None:
    if day is None:
        return None
    return draw(st.sampled_from([day.isoformat(), day.strftime("%m/%d/%Y"), f"{day.isoformat()}T00:00:00"]))


@st.composite
def package(draw: st.DrawFn, parent: ET.Element) -> Package:
    element = ET.SubElement(parent, case(draw, "Package"))
    tracking = draw(st.none() | WORD)
    weight = draw(st.none() | AMOUNT)
    quantity = draw(st.none() | st.integers(0, 10**6))
    serials = draw(st.lists(WORD, max_size=5))
    add(draw, element, ["TrackingNumber"], tracking)
    add(draw, element, ["Weight"], None if weight is None else str(weight))
    add(draw, element, ["ShipItemQuantity"], None if quantity is None else f"{quantity:,}")
    for serial in serials:
        ET.SubElement(element, "SerialNo").text = serial
    return Package(tracking, weight, quantity, tuple(serials))


@st.composite
def line(draw: st.DrawFn, parent: ET.Element) -> DistributorLine:
    item = ET.SubElement(parent, "Item", lineNumber=str(number := draw(st.integers(0, 999))))
    raw = draw(st.sampled_from(["accepted", "SHIPPED", "Invoiced", "deleted", "NOT FOUND", "onhold"]))
    ET.SubElement(item, case(draw, "Code")).text = raw
    texts: dict[str, Any] = {}
    for field, names in [
        ("order_number", ["OrderNumber"]),
        ("order_type", ["OrderType"]),
        ("sku", ["SKU"]),
        ("warehouse", ["ShipFromWarehouse"]),
        ("ship_method", ["ShipMethod"]),
    ]:
        texts[field] = draw(st.none() | WORD)
        add(draw, item, names, texts[field])
    quantity = draw(st.none() | st.integers(0, 10**6))
    add(draw, item, ["OrderQuantity"], None if quantity is None else f"{quantity:,}")
    price = draw(st.none() | AMOUNT)
    add(draw, item, ["UnitPrice"], None if price is None else f"{price:,}")
    shipped_text, shipped = render_time(draw, draw(st.none() | LOCAL_TIME))
    add(draw, item, ["ShipDatetime", "ShipDateTime"], shipped_text)
    eta, estimated_ship, estimated_delivery = (draw(st.none() | DAY) for _ in range(3))
    add(draw, item, ["ETADate"], render_day(draw, eta))
    add(draw, item, ["EstimatedShipDate"], render_day(draw, estimated_ship))
    add(draw, item, ["EstimateDeliveryDate", "EstimatedDeliveryDate"], render_day(draw, estimated_delivery))
    fees = draw(st.lists(st.sampled_from(["Freight", "HandlingFee", "Tax", "RecyclingFee"]), unique=True))
    for fee in fees:
        ET.SubElement(item, fee).text = draw(st.sampled_from(["0.0", "12.50", ""]))
    packages: tuple[Package, ...] = ()
    if draw(st.booleans()):
        holder = ET.SubElement(item, case(draw, "Packages"))
        packages = tuple(draw(package(holder)) for _ in range(draw(st.integers(0, 3))))
    return DistributorLine(
        line_number=number,
        code=StatusCode.parse(raw),
        raw_code=raw,
        order_quantity=quantity,
        unit_price=price,
        ship_datetime=shipped,
        eta_date=eta,
        estimated_ship_date=estimated_ship,
        estimated_delivery_date=estimated_delivery,
        fees_present=bool(fees),
        packages=packages,
        **texts,
    )


@st.composite
def order_document(draw: st.DrawFn) -> tuple[bytes, DistributorOrder]:
    root = ET.Element("SynnexB2B", version=draw(st.sampled_from(["2.2", "2.4", "2.7"])))
    response = ET.SubElement(root, "OrderStatusResponse")
    po_number, customer = draw(WORD), draw(st.none() | WORD)
    raw = draw(st.sampled_from(["accepted", "shipped", "INVOICED", "notFound", "rejected"]))
    ET.SubElement(response, "PONumber").text = po_number
    add(draw, response, ["CustomerNumber"], customer)
    ET.SubElement(response, "Code").text = raw
    po_text, po_time = render_time(draw, draw(st.none() | LOCAL_TIME))
    add(draw, response, ["PODatetime", "PODateTime"], po_text)
    items = ET.SubElement(response, "Items")
    lines = [draw(line(items)) for _ in range(draw(st.integers(0, 4)))]
    if lines and draw(st.booleans()):
        items.append(items[0])  # the same <Item> twice, as VAR Connect has seen (td-synnex.md §7.2)
    expected = DistributorOrder(
        customer_number=customer,
        po_number=po_number,
        code=StatusCode.parse(raw),
        raw_code=raw,
        po_datetime=po_time,
        version=root.get("version"),
        lines=tuple(dict.fromkeys(lines)),
    )
    return ET.tostring(root, encoding="utf-8"), expected


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], max_examples=200)
@given(order_document())
def test_rendered_orders_parse_back_to_the_same_values(document: tuple[bytes, DistributorOrder]) -> None:
    body, expected = document
    assert parse_status_response(body, tz=PACIFIC) == expected


# --------------------------------------------------------------------------------------- request builder

CREDENTIAL_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=60)


@given(
    user_id=CREDENTIAL_TEXT,
    password=CREDENTIAL_TEXT,
    customer=CREDENTIAL_TEXT.filter(str.strip),
    po_number=CREDENTIAL_TEXT.filter(str.strip),
)
def test_request_builder_round_trips_any_text(user_id: str, password: str, customer: str, po_number: str) -> None:
    body = build_status_request(user_id=user_id, password=password, customer_number=customer, po_number=po_number)
    request = parse_status_request(body)
    assert (request.user_id, request.password, request.customer_number, request.po_number) == (
        user_id,
        password,
        customer,
        po_number,
    )
