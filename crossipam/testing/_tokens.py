"""The offline Azure's signing key: Entra ID signs access tokens with it, ARM and Graph verify them.

```python
issuer = TokenIssuer()
token = issuer.sign({"tid": tenant_id, "exp": int(time.time()) + 3600})
issuer.decode(token, time.time())["tid"]  # tenant_id
```
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["TokenIssuer"]

VERIFIED_CACHE_SIZE = 1024
"""How many distinct verified tokens `TokenIssuer.decode` remembers (least recently used dropped first)."""


class TokenIssuer:
    """Signs and verifies the offline Azure's access tokens (RS256, one key per emulator)."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex[:16]
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def sign(self, claims: dict[str, Any]) -> str:
        """Sign ``claims`` as an RS256 JWT with the emulator's key (header ``kid`` set)."""
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id, "typ": "JWT"})

    def decode(self, token: str, now: float) -> dict[str, Any]:
        """Verify signature and expiry (against the emulator clock); raises ``jwt.InvalidTokenError``.

        The signature is checked once per distinct token string (the last `VERIFIED_CACHE_SIZE` are
        remembered: a client sends the same token with every request); the expiry is checked on every call."""
        with self._lock:
            claims = self._verified.get(token)
            if claims is not None:
                self._verified.move_to_end(token)
        if claims is None:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
            with self._lock:
                self._verified[token] = claims
                while len(self._verified) > VERIFIED_CACHE_SIZE:
                    self._verified.popitem(last=False)
        if float(claims.get("exp", 0)) <= now:
            raise jwt.ExpiredSignatureError("Signature has expired")
        return dict(claims)
