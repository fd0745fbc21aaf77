"""`orderbridge web`: the dashboard, the ConnectWise callback receiver and `/metrics`, in one server.

Loopback by default. Bound to any other address it refuses to start without an access token, because
the dashboard shows every order and lets a person acknowledge alerts. Pass the token through
ORDERBRIDGE_WEB_TOKEN rather than --token where possible: a command line is visible to other users.
"""

from __future__ import annotations

import click

from orderbridge.cli.common import config_of, console, guard, shown
from orderbridge.config import is_loopback_host
from orderbridge.core.redaction import register_secret

MIN_TOKEN_LENGTH = 16


def check_binding(host: str, token: str | None) -> None:
    """Raise a UsageError when the address is reachable from elsewhere and no (strong) token is set."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise click.UsageError(f"the token must be at least {MIN_TOKEN_LENGTH} characters")
    if not is_loopback_host(host) and not token:
        raise click.UsageError(
            f"--host {host} is reachable from other machines: set ORDERBRIDGE_WEB_TOKEN (or --token) "
            "to a long random value, or bind to 127.0.0.1"
        )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8480, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    envvar="ORDERBRIDGE_WEB_TOKEN",
    default=None,
    help="Access token (required off loopback); prefer the ORDERBRIDGE_WEB_TOKEN variable.",
)
@click.pass_context
def web(ctx: click.Context, host: str, port: int, token: str | None) -> None:
    """Serve the dashboard until interrupted."""

    @guard
    def go() -> None:
        check_binding(host, token)
        register_secret(token)
        import uvicorn

        from orderbridge.callbacks.receiver import callback_routes
        from orderbridge.config.directory import directory_of
        from orderbridge.runners.metrics import DaemonMetrics, metrics_routes, store_refresher
        from orderbridge.store import Store
        from orderbridge.web.app import create_app

        settings, tenants = directory_of(config_of(ctx))
        store = Store.open(settings.store.url)
        try:
            metrics = DaemonMetrics()
            # The dashboard serves its own /healthz; only /metrics comes from the metrics module here.
            scrape = [
                r
                for r in metrics_routes(metrics, before_scrape=store_refresher(metrics, store))
                if r.path == "/metrics"
            ]
            # Callbacks verify their own signature, so they sit outside the dashboard's token check.
            extra = [*callback_routes(store, tenants, limits=settings.callbacks, http=settings.http), *scrape]
            each = {name: found for name in tenants.names() if (found := tenants.settings_for(name)) is not None}
            app = create_app(settings, store, token=token or None, extra_routes=extra, tenant_settings=each)
            where = f"[{host}]" if ":" in host else host
            console.print(shown(f"orderbridge dashboard on http://{where}:{port}/ (Ctrl+C to stop)"))
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        finally:
            store.close()

    go()
