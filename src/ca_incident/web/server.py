"""Run the dashboard with uvicorn, on loopback unless told otherwise."""

from __future__ import annotations

import uvicorn

from ca_incident.app.dashboard import Dashboard
from ca_incident.web.app import LOOPBACK_HOSTS, create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(dashboard: Dashboard, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted. Requests must name the host bound (or a loopback name)."""
    app = create_app(dashboard, allowed_hosts=[*LOOPBACK_HOSTS, host])
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
