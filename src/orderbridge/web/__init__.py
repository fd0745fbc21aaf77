"""The operator's dashboard: `create_app(settings, store, token=...)` and its pages."""

from orderbridge.web.app import create_app

__all__ = ["create_app"]
