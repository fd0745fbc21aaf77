"""The per-client request template renders exactly what the ElementTree builder builds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.tdsynnex.request import StatusRequestTemplate
from orderbridge.tdsynnex.xml import build_status_request, parse_status_request

CREDS = {"user_id": "me&co@example.com", "password": "p<a>ss&word\"'", "customer_number": "100001"}


@given(st.text(min_size=1, max_size=40))
def test_template_and_builder_agree_byte_for_byte(po_number: str) -> None:
    template = StatusRequestTemplate(**CREDS)
    try:
        expected = build_status_request(po_number=po_number, **CREDS)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)):
            template.render(po_number)
        return
    assert template.render(po_number) == expected


@pytest.mark.parametrize("po_number", ["PO-1001", "A&B <x> 'q' \"z\"", "  padded  ", "ÄÖ-ünïcode", "line\rbreak"])
def test_the_simulator_reads_back_the_po_number_and_credentials(po_number: str) -> None:
    request = parse_status_request(StatusRequestTemplate(**CREDS).render(po_number))
    assert request.po_number == po_number.strip() or request.po_number == po_number
    assert (request.user_id, request.password, request.customer_number) == tuple(CREDS.values())
