"""The client's address behind the reverse proxy, believed only from proxies we trust.

``FORWARDED_ALLOW_IPS`` (the name gunicorn uses for the same idea) lists the proxies' addresses
or networks, comma-separated (``127.0.0.1``, ``10.0.0.0/8``, ``*`` for any). A request whose
connection comes from one of them gets its client address (and scheme) from the proxy's
``X-Forwarded-For`` / ``X-Forwarded-Proto``, through Werkzeug's ``ProxyFix`` with one proxy:
the last address in the header, the one our proxy appended. Any other request keeps its
connection address and its headers are ignored, so a client cannot forge its address. Empty
(the default): trust nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from coordapp.config import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted(setting: str | None) -> tuple[bool, tuple[Network, ...]]:
    """(trust any address, the trusted networks) from the setting's text."""
    entries = [entry.strip() for entry in (setting or "").split(",") if entry.strip()]
    networks = []
    for entry in entries:
        if entry == "*":
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ConfigError(
                f"FORWARDED_ALLOW_IPS: {entry!r} is not an IP address or network ({error})."
            ) from None
    return "*" in entries, tuple(networks)


class TrustedProxyFix:
    """WSGI middleware: ``ProxyFix`` for requests from a trusted proxy, nothing for others."""

    def __init__(self, app: Any, *, trust_any: bool, networks: Iterable[Network]) -> None:
        self.direct = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)
        self.trust_any = trust_any
        self.networks = tuple(networks)

    def trusts(self, address: str | None) -> bool:
        if self.trust_any:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.direct(environ, start_response)


def init_proxy(app: Flask) -> None:
    trust_any, networks = parse_trusted(app.config.get("FORWARDED_ALLOW_IPS"))
    if trust_any or networks:
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, trust_any=trust_any, networks=networks
        )
