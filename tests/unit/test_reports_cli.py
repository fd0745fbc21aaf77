"""`orderbridge report`: the same figures as the reports page, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner

from orderbridge.cli import main
from orderbridge.core.domain import Stage
from orderbridge.store import Store
from orderbridge.store.facts import FactsRow, save_facts

D0 = datetime(2026, 3, 1, tzinfo=UTC)
CONFIG = """
[connectwise]
company = "c"
public_key = "p"
private_key = "k"
client_id = "x"
[tdsynnex]
user_id = "u"
password = "pw"
customer_number = "1"
[store]
url = "{url}"
"""


def setup_store(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    with Store.open(url) as store:
        save_facts(
            store,
            [
                FactsRow(
                    "default", 1, "PO-1", D0, D0, stage=Stage.SHIPPED, carrier="UPS", po_at=D0,
                    first_shipped_at=datetime(2026, 3, 3, tzinfo=UTC), promised_ship_date=date(2026, 3, 3),
                    first_ship_date=date(2026, 3, 2),
                ),
                FactsRow("default", 2, "PO-2", datetime(2026, 4, 1, tzinfo=UTC), D0),
            ],
        )  # fmt: skip
    config = tmp_path / "orderbridge.toml"
    config.write_text(CONFIG.format(url=url), encoding="utf-8")
    return config


def test_report_as_json_csv_and_table(tmp_path: Path) -> None:
    config = str(setup_store(tmp_path))
    runner = CliRunner()
    result = runner.invoke(main, ["--config", config, "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["orders"]["all"]["orders"] == 2
    assert figures["stage_days"]["PO → shipped"]["mean_days"] == 2.0
    assert figures["by_carrier"]["UPS"]["on_time_rate"] == 1.0
    result = runner.invoke(main, ["--config", config, "report", "--format", "csv", "--until", "2026-03-31"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(r["section"], r["group"], r["metric"], r["value"]) for r in rows} >= {("orders", "all", "orders", "1")}
    result = runner.invoke(main, ["--config", config, "report"])
    assert result.exit_code == 0 and "On-time shipping: 100.0%" in result.output


def test_report_rejects_a_bad_date(tmp_path: Path) -> None:
    config = str(setup_store(tmp_path))
    result = CliRunner().invoke(main, ["--config", config, "report", "--since", "last week"])
    assert result.exit_code == 2 and "not a date" in result.output
