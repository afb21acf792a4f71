"""Where a webhook may be sent: http(s) to a public address, unless configuration allows
private, loopback and link-local ones (ROADMAP_WEBHOOK_ALLOW_PRIVATE_TARGETS), so that an
endpoint cannot be used to reach the service's own network."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class TargetRefusedError(Exception):
    pass


def check_target(url: str, *, allow_private: bool) -> None:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # e.g. a port out of range, a bracket left open
        raise TargetRefusedError(f"not a URL: {exc}") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise TargetRefusedError("a webhook URL is http:// or https:// with a host")
    if allow_private:
        return
    try:
        found = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:  # no such name, or not one IDNA can write
        raise TargetRefusedError(f"{host} does not resolve: {exc}") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global or ip.is_multicast:
            raise TargetRefusedError(
                f"{parts.hostname} is {ip}, a private, loopback or link-local address "
                "(ROADMAP_WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows it)"
            )
