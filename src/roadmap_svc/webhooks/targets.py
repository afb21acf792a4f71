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
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefusedError("a webhook URL is http:// or https:// with a host")
    if allow_private:
        return
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetRefusedError(f"{parts.hostname} does not resolve: {exc}") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global or ip.is_multicast:
            raise TargetRefusedError(
                f"{parts.hostname} is {ip}, a private, loopback or link-local address "
                "(ROADMAP_WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows it)"
            )
