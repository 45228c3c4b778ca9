"""The SSRF guard of webhook URLs: http(s) only, and no address inside the service's network.

A URL is checked when it is registered and again before every send, on the addresses its
host resolves to then; the deliverer connects to exactly the address it checked, so a DNS
answer that changes in between (rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""(host, port) -> the addresses it resolves to, as strings; raises OSError when it does not."""

RESOLVE_SECONDS = 5.0
NAT64 = ipaddress.ip_network("64:ff9b::/96")
_resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="backprop-dns")


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: its parts and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (getaddrinfo, given at most RESOLVE_SECONDS)."""
    future = _resolver_pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_SECONDS)
    except FutureTimeout as exc:
        raise OSError(f"resolving took longer than {RESOLVE_SECONDS:g} s") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), else `ip`."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def forbidden_kind(address: str) -> str | None:
    """Why a webhook may not be sent to `address` ("loopback", "private", ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    for candidate in dict.fromkeys((embedded_ipv4(ip), ip)):
        for kind in ("loopback", "link_local", "multicast", "unspecified", "private"):
            if getattr(candidate, f"is_{kind}"):
                return kind.replace("_", "-")
        if not candidate.is_global:
            return "non-public"
    return None


def _parts(url: str) -> tuple[SplitResult, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"url is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        raise UnsafeUrl(f"url must use http or https (scheme: {shown[:20]!r})")
    if not parts.hostname:
        raise UnsafeUrl("url has no host")
    return parts, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """The URL and the address to send to; UnsafeUrl when the scheme is not http(s), the
    host does not resolve, or (unless `allow_private`) any address it resolves to is
    loopback, private, link-local, multicast or otherwise not public."""
    parts, host, port = _parts(url)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"url host {host[:100]!r} does not resolve ({exc})") from exc
    if not addresses:
        raise UnsafeUrl(f"url host {host[:100]!r} does not resolve")
    if not allow_private:
        for address in addresses:
            kind = forbidden_kind(address)
            if kind is not None:
                raise UnsafeUrl(
                    f"url host {host[:100]!r} resolves to {address}, a {kind} address; "
                    "webhooks go to public addresses only (BACKPROP_WEBHOOK_ALLOW_PRIVATE)"
                )
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=addresses[0])
