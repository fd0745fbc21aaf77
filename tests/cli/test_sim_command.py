"""`orderbridge sim` serves both simulators, seeded, until it is stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from orderbridge.tdsynnex.xml import build_status_request, parse_status_response

BIN = Path(sys.executable).with_name("orderbridge")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sim_serves_the_seeded_demo_book_on_loopback() -> None:
    cw_port, tds_port, carriers_port = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [
            str(BIN),
            "sim",
            "--cw-port",
            str(cw_port),
            "--tds-port",
            str(tds_port),
            "--carriers-port",
            str(carriers_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{cw_port}/v4_6_release/apis/3.0"
        deadline = time.monotonic() + 20
        while True:
            try:
                reply = httpx.get(
                    f"{base}/procurement/purchaseorders/count",
                    auth=("demo+demopublic", "demoprivate"),
                    headers={"clientId": "test"},
                )
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert reply.status_code == 200 and reply.json()["count"] >= 49
        body = build_status_request(
            user_id="demo@example.com", password="demo", customer_number="100001", po_number="PO-1001"
        )
        answer = httpx.post(
            f"http://127.0.0.1:{tds_port}/SynnexXML/POStatus", content=body, headers={"Content-Type": "text/xml"}
        )
        from zoneinfo import ZoneInfo

        order = parse_status_response(answer.content, tz=ZoneInfo("America/Los_Angeles"))
        assert order.po_number == "PO-1001" and order.lines
        # The banner is printed once the third server (the carriers') is up: wait for it before stopping.
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{carriers_port}/_sim/requests")
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    assert "ConnectWise simulator" in output and "demoprivate" in output.replace("/ demoprivate", "demoprivate")
