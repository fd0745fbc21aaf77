"""A Report as text for people (a table), for spreadsheets (CSV) and for programs (JSON).

All three are built from one flat list of (section, group, metric, value) rows, so they can never
disagree about a figure; the JSON keeps the same names, nested by section and group.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from orderbridge.core.terminal import for_terminal
from orderbridge.reports.delivery import DeliveryGroup, Promise
from orderbridge.reports.figures import Group, OnTime, Report, Spread

ReportFormat = Literal["table", "csv", "json"]
Row = tuple[str, str, str, float | int | None]


def _spread(section: str, group: str, spread: Spread, unit: str) -> Iterator[Row]:
    yield section, group, "count", spread.count
    yield section, group, f"mean_{unit}", spread.mean
    yield section, group, f"median_{unit}", spread.median


def _on_time(section: str, group: str, figures: OnTime) -> Iterator[Row]:
    yield section, group, "measured", figures.measured
    yield section, group, "on_time", figures.on_time
    yield section, group, "late", figures.late
    yield section, group, "on_time_rate", figures.rate
    yield section, group, "overdue_unshipped", figures.overdue_unshipped


def _group(section: str, group: Group) -> Iterator[Row]:
    yield section, group.name, "orders", group.orders
    yield section, group.name, "shipped", group.shipped
    yield section, group.name, "on_time_rate", group.on_time.rate
    yield section, group.name, "mean_days_to_ship", group.days_to_ship.mean


def report_rows(report: Report) -> Iterator[Row]:
    yield "orders", "all", "orders", report.orders
    for stage, count in report.by_stage.items():
        yield "orders", stage, "orders", count
    for leg in report.legs:
        yield from _spread("stage_days", leg.label, leg.days, "days")
    yield from _on_time("on_time", "all", report.on_time)
    for section, groups in (
        ("by_carrier", report.by_carrier),
        ("by_ship_method", report.by_ship_method),
        ("by_warehouse", report.by_warehouse),
    ):
        for group in groups:
            yield from _group(section, group)
    yield "errors", "all", "checks", report.errors.checks
    yield "errors", "all", "failures", report.errors.failures
    yield "errors", "all", "error_rate", report.errors.rate
    yield from _spread("update_delay", "all", report.update_delay_hours, "hours")
    if report.delivery is not None:
        yield from _delivery("delivery", report.delivery.all)
        for members in report.delivery.by_carrier:
            yield from _delivery("delivery_by_carrier", members)
        for members in report.delivery.by_ship_method:
            yield from _delivery("delivery_by_ship_method", members)


def _promise(section: str, group: str, name: str, promise: Promise) -> Iterator[Row]:
    yield section, group, f"{name}_measured", promise.measured
    yield section, group, f"{name}_on_time", promise.on_time
    yield section, group, f"{name}_on_time_rate", promise.rate
    yield section, group, f"{name}_overdue", promise.overdue


def _delivery(section: str, group: DeliveryGroup) -> Iterator[Row]:
    yield section, group.name, "packages", group.packages
    yield section, group.name, "delivered", group.delivered
    yield section, group.name, "returned", group.returned
    yield from _spread(section, group.name, group.days, "days_ship_to_delivery")
    yield from _promise(section, group.name, "vs_tdsynnex", group.vs_tdsynnex)
    yield from _promise(section, group.name, "vs_carrier", group.vs_carrier)


def report_dict(report: Report) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for section, group, metric, value in report_rows(report):
        nested.setdefault(section, {}).setdefault(group, {})[metric] = value
    nested["notes"] = list(report.notes)
    return nested


def write_report(report: Report, fmt: ReportFormat, out: TextIO) -> None:
    if fmt == "json":
        json.dump(report_dict(report), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("section", "group", "metric", "value"))
        for row in report_rows(report):
            writer.writerow(["" if cell is None else cell for cell in row])
    elif fmt == "table":
        _table(report, Console(file=out, width=110, highlight=False))
    else:
        raise ValueError(f"unknown report format {fmt!r}; use table, csv or json")


def _fmt(value: float | int | None, *, percent: bool = False) -> str:
    if value is None:
        return "-"
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _table(report: Report, console: Console) -> None:
    stages = ", ".join(f"{name} {count}" for name, count in report.by_stage.items())
    console.print(f"Orders: {report.orders} ({stages})")
    legs = Table(title="Days between stages")
    for column in ("leg", "orders", "mean days", "median days"):
        legs.add_column(column, justify="left" if column == "leg" else "right")
    for leg in report.legs:
        legs.add_row(leg.label, str(leg.days.count), _fmt(leg.days.mean), _fmt(leg.days.median))
    console.print(legs)
    t = report.on_time
    console.print(
        f"On-time shipping: {_fmt(t.rate, percent=True)} ({t.on_time} of {t.measured} shipped orders with an "
        f"estimate; {t.overdue_unshipped} past their estimate and unshipped)"
    )
    for title, groups in (
        ("By carrier", report.by_carrier),
        ("By ship method", report.by_ship_method),
        ("By warehouse", report.by_warehouse),
    ):
        table = Table(title=title)
        for column in ("name", "orders", "shipped", "on time", "mean days PO → shipped"):
            table.add_column(column, justify="left" if column == "name" else "right")
        for g in groups:
            # Carrier, ship-method and warehouse names are TD SYNNEX's text: escaped, never rich markup.
            table.add_row(
                Text(for_terminal(g.name)),
                str(g.orders),
                str(g.shipped),
                _fmt(g.on_time.rate, percent=True),
                _fmt(g.days_to_ship.mean),
            )
        console.print(table)
    if report.delivery is not None and report.delivery.all.packages:
        _delivery_table(report, console)
    e, d = report.errors, report.update_delay_hours
    console.print(f"Error rate: {_fmt(e.rate, percent=True)} ({e.failures} failed of {e.checks} PO checks)")
    console.print(f"Update delay: mean {_fmt(d.mean)} h, median {_fmt(d.median)} h over {d.count} shipments")
    for note in report.notes:
        console.print(f"[dim]{note}[/dim]")


def _delivery_table(report: Report, console: Console) -> None:
    assert report.delivery is not None
    table = Table(title="Delivery (packages the carriers follow)")
    columns = ("", "packages", "delivered", "mean days ship → delivered", "on time vs TD SYNNEX", "vs carrier's 1st")
    for column in columns:
        table.add_column(column, justify="left" if not column else "right")
    sections = (
        ("", (report.delivery.all,)),
        ("carrier", report.delivery.by_carrier),
        ("ship method", report.delivery.by_ship_method),
    )
    for prefix, groups in sections:
        for g in groups:
            name = f"{prefix} {g.name}" if prefix else "all"
            table.add_row(
                Text(for_terminal(name)),  # carrier and ship-method names are outside text: never markup
                str(g.packages),
                str(g.delivered),
                _fmt(g.days.mean),
                f"{_fmt(g.vs_tdsynnex.rate, percent=True)} of {g.vs_tdsynnex.measured}",
                f"{_fmt(g.vs_carrier.rate, percent=True)} of {g.vs_carrier.measured}",
            )
    console.print(table)
