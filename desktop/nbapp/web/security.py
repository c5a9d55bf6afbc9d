"""Who may talk to the app: a per-run token, our own Host and our own Origin, nothing else."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Guard:
    """The checks every request passes. ``token`` is secret: never log it or put it on a
    command line; it reaches the user only through the printed URL and the window."""

    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def cookie_name(self) -> str:
        # Cookies ignore ports: name it by port so two apps on 127.0.0.1 never mix tokens.
        return f"nbapp-token-{self.port}"

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(f"{name}:{self.port}" for name in _LOOPBACK_NAMES)

    @property
    def allowed_origins(self) -> frozenset[str]:
        return frozenset(f"http://{host}" for host in self.allowed_hosts)

    def host_ok(self, host: str | None) -> bool:
        """DNS rebinding defence: the Host header must name loopback and our port."""
        return host is not None and host.lower() in self.allowed_hosts

    def origin_ok(self, origin: str | None) -> bool:
        """A missing or ``null`` Origin is refused too, unlike jupyter_server."""
        return origin is not None and origin.lower() in self.allowed_origins

    def token_ok(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode("utf-8"), self.token.encode("utf-8"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"
