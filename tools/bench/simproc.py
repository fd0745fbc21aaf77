"""The simulator process of the benchmark: both simulators on loopback sockets, driven over stdin.

It runs apart from the client so `resource.getrusage` in the client measures orderbridge alone. The
parent sends one JSON command a line and reads one JSON answer a line: move TD SYNNEX's clock, install
latency profiles, set ConnectWise's rate limit, and snapshot / diff the ConnectWise book, which is how
the minimum number of writes is measured instead of guessed. `prime` runs the unmeasured priming
cycle here, on the simulator apps in-process (priming.py), when the parent asks for `--prime inprocess`.
The carrier simulators (EasyPost, UPS, FedEx) run here too, following TD SYNNEX's packages on its clock.

ConnectWise runs on the real clock (its rate limit is a sliding minute, which has to pass in real
time); TD SYNNEX runs on a simulated clock that moves only when told to, so "nothing new" really
means nothing new however long a cycle takes.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from orderbridge.core.clock import SimClock, SystemClock
from orderbridge.simulators.carriers.app import create_app as create_carriers_app
from orderbridge.simulators.carriers.state import CarrierState
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.fault_spec import apply_fault_spec
from orderbridge.simulators.serve import CW_BASE_PATH, TDS_STATUS_PATH, start_server
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.state import TDSynnexState

from .priming import prime_in_process
from .seeding import seed_book

INVOICE_PATH = "/webservice/invoice/query"
# Fields ConnectWise changes on every write whatever was written; they are not "a field that differs".
VOLATILE = frozenset({"_info", "lastUpdated", "dateUpdated", "updatedBy"})
# Stamped from ConnectWise's wall clock when a record is created or closed: two books seeded and synced
# at different moments differ there and nowhere else, so comparing two books leaves them out too.
WALL_CLOCK = VOLATILE | {"poDate", "dateClosed", "dateCreated"}
# Note ids follow the order concurrent workers happened to post in; a note is compared by what it says.
NOTE_IDENTITY = WALL_CLOCK | {"id"}


def _digest(record: dict[str, Any], volatile: frozenset[str] = VOLATILE) -> str:
    stable = {key: value for key, value in record.items() if key not in volatile}
    return hashlib.blake2b(json.dumps(stable, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()


class Book:
    """Snapshots of the ConnectWise side, to count what a cycle really had to change."""

    def __init__(self, cw: ConnectWiseState) -> None:
        self.cw = cw
        self.headers: dict[int, str] = {}
        self.lines: dict[int, str] = {}
        self.notes: dict[int, int] = {}

    def _read(self) -> tuple[dict[int, str], dict[int, str], dict[int, int]]:
        headers, lines, notes = {}, {}, {}
        with self.cw.lock:
            for po in self.cw.purchase_orders.scan():
                headers[po["id"]] = _digest(po)
                for line in self.cw.line_items_of(po["id"]):
                    lines[line["id"]] = _digest(line)
                notes[po["id"]] = len(self.cw.note_table.children(po["id"]))
        return headers, lines, notes

    def digest(self) -> dict[str, Any]:
        """One digest of every PO, line and note (volatile fields left out), to compare two books."""
        whole = hashlib.blake2b(digest_size=16)
        with self.cw.lock:
            for po in self.cw.purchase_orders.scan():
                whole.update(_digest(po, WALL_CLOCK).encode())
                for line in self.cw.line_items_of(po["id"]):
                    whole.update(_digest(line, WALL_CLOCK).encode())
                for note_id in self.cw.note_table.children(po["id"]):
                    note = self.cw.note_table.get(note_id)
                    whole.update(_digest(note, NOTE_IDENTITY).encode() if note is not None else b"-")
        return {"book": whole.hexdigest(), "writes_logged": len(self.cw.request_log.writes())}

    def snapshot(self) -> dict[str, Any]:
        self.headers, self.lines, self.notes = self._read()
        return {"pos": len(self.headers), "lines": len(self.lines)}

    def diff(self) -> dict[str, Any]:
        headers, lines, notes = self._read()
        added = {po: count - self.notes.get(po, 0) for po, count in notes.items() if count > self.notes.get(po, 0)}
        return {
            "headers_changed": sum(1 for po, digest in headers.items() if self.headers.get(po) != digest),
            "lines_changed": sum(1 for line, digest in lines.items() if self.lines.get(line) != digest),
            "notes_added": sum(added.values()),
            "pos_with_new_notes": len(added),
            "writes_logged": len(self.cw.request_log.writes()),
        }


def main() -> None:
    orders = int(sys.argv[1])
    # A fixed start (second argument) makes two runs see the same TD SYNNEX book, so they compare.
    start = datetime.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else datetime.now(UTC).replace(microsecond=0)
    tds_clock = SimClock(start)
    cw = ConnectWiseState(SystemClock())
    seed_defaults(cw)
    tds = TDSynnexState(tds_clock)
    began = time.perf_counter()
    lines = seed_book(cw, tds, orders=orders, now=start)
    seeded_s = time.perf_counter() - began
    _settle()
    cw_app, tds_app = create_cw_app(cw), create_tds_app(tds)
    # The carriers follow TD SYNNEX's packages on its clock, so `advance` moves them along too.
    carriers_app = create_carriers_app(CarrierState(tds_clock, packages=tds.shipped_parcel))
    cw_server = start_server(cw_app)
    tds_server = start_server(tds_app)
    carriers_server = start_server(carriers_app)
    book = Book(cw)
    _answer(
        {
            "cw_base_url": cw_server.url + CW_BASE_PATH,
            "tds_url": tds_server.url + TDS_STATUS_PATH,
            "invoice_url": tds_server.url + INVOICE_PATH,
            "carriers_url": carriers_server.url,
            "lines": lines,
            "seed_s": round(seeded_s, 2),
        }
    )
    for raw in sys.stdin:
        command = json.loads(raw)
        name = command["cmd"]
        if name == "advance":
            _answer({"now": tds_clock.advance(timedelta(seconds=command["seconds"])).isoformat()})
        elif name == "faults":
            _answer({"spec": str(apply_fault_spec(command["spec"], cw, tds))})
        elif name == "ratelimit":
            cw.rate_limit.per_minute = command["per_minute"]
            cw.rate_limit.reset()
            _answer({"per_minute": command["per_minute"]})
        elif name == "prime":
            primed = prime_in_process(
                cw_app, tds_app, carriers_app, command["settings"], operator_view=command["operator_view"]
            )
            result = asyncio.run(primed)
            _settle()
            _answer(result)
        elif name == "snapshot":
            _answer(book.snapshot())
        elif name == "digest":
            _answer(book.digest())
        elif name == "diff":
            _answer(book.diff())
        elif name == "quit":
            break
    carriers_server.stop()
    tds_server.stop()
    cw_server.stop()


def _settle() -> None:
    """Take the book out of the cyclic collector's sight: millions of long-lived records that every
    full collection would walk again (at N=100,000 that is most of the process); and collect young
    objects less often, as a request makes thousands of short-lived ones. Neither changes behaviour."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
