"""Property tests: whatever bytes arrive, the invoice parser returns invoices or raises one of our errors.

The inputs are arbitrary bytes, golden payloads with bytes flipped, cut or spliced, and well-formed
documents with random text in every field, since those reach the field readers rather than the parser.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from orderbridge.core.errors import OrderbridgeError
from orderbridge.tdsynnex.invoice_xml import parse_invoice_request, parse_invoice_response

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
GOLDEN = [path.read_bytes() for path in sorted(PAYLOADS.glob("invoice-*.xml"))]
FIELDS = [
    "InvoiceNumber",
    "InvoiceDate",
    "ShipDate",
    "OrderNumber",
    "UnitPrice",
    "ShipQuantity",
    "TotalInvoiceAmount",
    "SalesTax",
    "TrackNumber",
    "SerialNo",
    "LineNumber",
    "ErrorCode",
    "ErrorReason",
]


def parse_or_our_error(body: bytes) -> None:
    try:
        invoices = parse_invoice_response(body)
    except OrderbridgeError:
        return
    assert all(invoice.invoice_number for invoice in invoices)


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(body: bytes) -> None:
    parse_or_our_error(body)


@settings(max_examples=300)
@given(
    st.sampled_from(GOLDEN),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
    st.integers(min_value=0),
)
def test_mutated_golden_payloads(body: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(body)
    for position, value in flips:
        data[position % len(data)] = value
    parse_or_our_error(bytes(data[: cut % (len(data) + 1)] if cut % 3 == 0 else data))


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=40), min_size=1))
def test_random_text_in_every_field(values: dict[str, str]) -> None:
    root = ET.Element("SynnexB2B")
    response = ET.SubElement(root, "InvoiceResponse")
    invoice = ET.SubElement(response, "Invoice")
    items = ET.SubElement(ET.SubElement(invoice, "Items"), "Item")
    summary = ET.SubElement(invoice, "Summary")
    tracking = ET.SubElement(invoice, "Tracking")
    for name, text in values.items():
        parent = {"UnitPrice": items, "ShipQuantity": items, "SerialNo": items, "LineNumber": items}.get(name, invoice)
        parent = {"TotalInvoiceAmount": summary, "SalesTax": summary, "TrackNumber": tracking}.get(name, parent)
        parent = response if name.startswith("Error") else parent
        # XML 1.0 cannot carry most control characters; the generator's other text is fair game.
        ET.SubElement(parent, name).text = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    parse_or_our_error(ET.tostring(root))


@settings(max_examples=200)
@given(st.binary(max_size=1000))
def test_request_reader_on_arbitrary_bytes(body: bytes) -> None:
    with contextlib.suppress(OrderbridgeError):
        parse_invoice_request(body)
