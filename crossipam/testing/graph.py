"""Microsoft Graph v1.0: applications and service principals (placeholder, being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._core import Router


def register(router: Router) -> None:
    """Register Graph routes."""
