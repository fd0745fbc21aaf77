"""config.example.toml documents every key and is itself a valid configuration."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel

from orderbridge.config import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_the_example_loads() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.connectwise.page_size == 1000


def test_every_settings_key_is_documented_in_the_example() -> None:
    documented = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    missing = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        text = EXAMPLE.read_text(encoding="utf-8")
        for key in model.model_fields:
            in_table = key in documented.get(section, {})
            # Optional keys may be shown commented out ("# key = ...").
            if not in_table and f"# {key} =" not in text and f"#{key} =" not in text:
                missing.append(f"{section}.{key}")
    assert missing == []
