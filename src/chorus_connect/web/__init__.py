"""The web UI (French) and the REST API for ERPs: ``create_app(store, settings)``; see docs/web.md."""

from chorus_connect.web.app import create_app
from chorus_connect.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
