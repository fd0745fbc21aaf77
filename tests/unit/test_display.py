"""How values and times are shown to people: references by name, times in the `[display] timezone`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tzlocal

from orderbridge.config import DisplaySettings, load_settings
from orderbridge.core.display import DisplayZone, reference_text, value_text
from orderbridge.core.errors import ConfigError


def test_a_reference_reads_by_name_with_its_id() -> None:
    assert value_text({"id": 7, "name": "TDS Shipped"}) == "TDS Shipped (#7)"
    assert value_text('{"id": 7, "name": "TDS Shipped"}') == "TDS Shipped (#7)"  # as the activity log stores it
    assert value_text('{"id": 7}', {7: "TDS Shipped"}) == "TDS Shipped (#7)"  # named from a status list
    assert value_text({"id": 7}) == "#7"  # nothing knows the name: still true
    assert value_text(None) == "" and value_text("1Z999") == "1Z999"
    assert reference_text('[{"id": 1, "caption": "TDS Tracking"}]') is None  # a customFields array is no reference


def test_times_are_converted_and_labelled() -> None:
    berlin = DisplayZone.named("Europe/Berlin")
    winter, summer = datetime(2026, 1, 5, 16, 0, tzinfo=UTC), datetime(2026, 7, 5, 16, 0, tzinfo=UTC)
    assert (berlin.format(winter), berlin.format(summer)) == ("2026-01-05 17:00", "2026-07-05 18:00")
    assert berlin.stamp(winter) == "2026-01-05 17:00 Europe/Berlin"
    assert berlin.format(datetime(2026, 1, 5, 16, 0)) == "2026-01-05 17:00"  # naive is UTC, as stored
    assert DisplayZone.named("UTC").label == DisplayZone.named("Etc/UTC").label == "UTC"


def test_the_default_is_this_machines_zone() -> None:
    zone = DisplaySettings().zone
    assert zone.zone == tzlocal.get_localzone()
    assert zone.label in ("UTC", tzlocal.get_localzone_name())


def test_an_unknown_zone_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "orderbridge.toml"
    path.write_text(
        '[connectwise]\ncompany = "c"\npublic_key = "p"\nprivate_key = "k"\nclient_id = "x"\n'
        '[tdsynnex]\nuser_id = "u"\npassword = "p"\ncustomer_number = "1"\n'
        '[display]\ntimezone = "Mars/Olympus"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "display.timezone" in caught.value.message and "Mars/Olympus" in caught.value.message


def test_a_machine_zone_that_cannot_be_read_asks_for_the_setting() -> None:
    # A fresh interpreter: tzlocal reads TZ once per process.
    probe = (
        "from orderbridge.core.display import DisplayZone\n"
        "try:\n    DisplayZone.named(None)\nexcept ValueError as e:\n    print(e)"
    )
    env = {**os.environ, "TZ": "Nowhere/Land"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert "set an IANA name" in result.stdout, result.stdout + result.stderr
