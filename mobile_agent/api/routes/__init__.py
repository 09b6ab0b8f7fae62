"""The API's routes, one router per area; `api.app.create_app` includes them in this order."""

from __future__ import annotations

__all__ = ["devices", "docs", "health", "tasks", "viewer"]
