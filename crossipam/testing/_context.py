"""What the services of the offline Azure are given: the narrow context their handlers take.

Entra ID, Graph and ARM authorization handlers take a `ServiceContext` (Microsoft.Network's take a
``NetworkContext`` that adds the network's own state). It holds the shared lock, the clock, the knobs, the
endpoints, the directory (tenants, apps, principals, RBAC) and the signing key — and nothing of
[`AzureEmulator`][crossipam.testing.AzureEmulator], the façade that builds it: no fronts, dispatch, journal,
faults or seeding API. So a service module cannot reach another service's handlers through the emulator, and
none of them imports ``emulator.py``.

```python
services = ServiceContext(Settings(), Endpoints())
with services.lock:
    services.directory.tenants  # {}
```
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from ._core import Clock, Endpoints, Settings
from ._tokens import TokenIssuer
from .state import ServicePrincipal, State

__all__ = ["ServiceContext"]


@dataclass(eq=False)
class ServiceContext:
    """The shared state and services every handler may use (built once by the emulator, shared by all).

    ``settings`` and ``endpoints`` may be replaced (``AzureEmulator.settings``/``endpoints`` write here); the
    other members live as long as the emulator.
    """

    settings: Settings
    endpoints: Endpoints
    clock: Clock = field(default_factory=Clock)
    directory: State = field(default_factory=State)
    """Tenants, subscriptions, apps, service principals, role definitions and assignments."""
    tokens: TokenIssuer = field(default_factory=TokenIssuer)
    lock: threading.RLock = field(default_factory=threading.RLock)
    """One lock for all state: handlers take it for each read-modify-write."""
    issued_secrets: set[str] = field(default_factory=set)
    """Every secret issued or given (tokens, client secrets, assertions), so that tests can scan logs for
    leaks."""

    def add_service_principal(self, app_id: str, tenant_id: str, *, replicated: bool) -> ServicePrincipal:
        """The app's service principal in ``tenant_id``, created if absent (``replicated=False`` starts the
        replication delay now). Raises ``KeyError`` for an unknown app."""
        with self.lock:
            app = self.directory.applications[app_id.lower()]
            key = (tenant_id.lower(), app.app_id)
            existing = self.directory.service_principals.get(key)
            if existing is not None:
                return existing
            sp = ServicePrincipal(
                object_id=str(uuid.uuid4()),
                app_id=app.app_id,
                tenant_id=tenant_id.lower(),
                display_name=app.display_name,
                app_owner_tenant_id=app.home_tenant_id,
                created_at=-1e12 if replicated else self.clock.time(),
            )
            if replicated:
                sp.replication_misses = 1 << 30
            self.directory.service_principals[key] = sp
        return sp

    def is_replicated(self, sp: ServicePrincipal) -> bool:
        """Whether directory replication has caught up with ``sp`` (consumes one 'attempt' if not)."""
        with self.lock:
            s = self.settings
            if s.replication_failures and sp.replication_misses < s.replication_failures:
                sp.replication_misses += 1
                return False
            return self.clock.time() - sp.created_at >= s.replication_delay
