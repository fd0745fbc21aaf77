"""`python -m tools.screenshots.shoot docs/`: PNGs of the orders page, a PO timeline and the reports.

The data is real engine output over the simulated demo book (`demo_data`), served by the real app on a
loopback port and photographed by headless Chromium (Debian's `chromium` package, driven by Playwright;
Playwright's own browser download is never used).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from orderbridge.core.domain import Stage
from orderbridge.simulators.serve import start_server
from orderbridge.store import Store
from orderbridge.store.facts import FactsFilter, FactsRow, iter_facts
from orderbridge.web.app import create_app
from tools.screenshots.demo_data import build_demo_history

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
WIDTH, HEIGHT = 1440, 1000


def chromium_path() -> str | None:
    """Debian's Chromium, if installed (`apt-get install chromium`)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def showcase(rows: Sequence[FactsRow]) -> FactsRow:
    """The PO whose timeline tells the most: several shipments, furthest along."""

    def score(row: FactsRow) -> tuple[int, int, int]:
        return (len(row.sales_orders) > 1, int(row.stage or 0) >= Stage.INVOICED, len(row.tracking))

    return max(rows, key=score)


def take(out: Path) -> list[Path]:
    # A development tool (like the browser tests): imported only when screenshots are taken.
    from playwright.sync_api import sync_playwright  # type: ignore[import-not-found,unused-ignore]

    browser_path = chromium_path()
    if browser_path is None:
        raise SystemExit("Chromium not found: apt-get install -y --no-install-recommends chromium")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="orderbridge-shots-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'shots.db'}")
        try:
            history = asyncio.run(build_demo_history(store))
            app = create_app(history.settings, store, clock=history.clock)
            server = start_server(app)
            try:
                rows = list(iter_facts(store, FactsFilter()))
                po = showcase(rows)
                # The orders list is long; its first screenful is the picture people need.
                shots = [
                    ("orders.png", "/orders", False),
                    ("po-timeline.png", f"/po/{po.tenant}/{po.po_id}", True),
                    ("reports.png", "/reports", True),
                ]
                saved = []
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=browser_path, args=list(CHROMIUM_ARGS))
                    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
                    for name, path, full_page in shots:
                        page.goto(server.url + path, wait_until="networkidle")
                        target = out / name
                        page.screenshot(path=str(target), full_page=full_page)
                        saved.append(target)
                    browser.close()
                return saved
            finally:
                server.stop()
        finally:
            store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "docs")
    for path in take(out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
