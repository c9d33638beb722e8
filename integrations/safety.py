"""Webhooks go to the public internet only, unless the settings allow more.

A URL is refused when its host resolves to any address that is not public
(loopback, private, link-local, and the other special ranges), at
subscription and again when the worker connects: DNS can change in between,
so the worker checks the very address it connects to (``GuardedTransport``).
``WEBHOOK_ALLOW_PRIVATE_URLS=true`` (dev and tests) lifts both checks.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings


class PrivateAddress(Exception):
    """The host resolves to an address webhooks may not reach."""


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_URLS", False))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[tuple]:
    """The host's addresses (``getaddrinfo`` rows); raises ``PrivateAddress``."""
    try:
        rows = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise PrivateAddress(f"The host {host!r} could not be resolved.") from error
    private = sorted({row[4][0] for row in rows if not is_public(row[4][0])})
    if private:
        raise PrivateAddress(
            f"The host {host!r} resolves to {', '.join(private)}, which is not a "
            "public address; webhooks go to public addresses only."
        )
    return rows


def check_url(url: str) -> None:
    """Raise ``PrivateAddress`` for a URL a webhook may not be sent to."""
    if private_urls_allowed():
        return
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise PrivateAddress("The URL's port is not valid.") from error
    resolve(parts.hostname or "", port)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to public addresses, checking the ones it connects to."""

    def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ):
        try:
            rows = resolve(host, port)
        except PrivateAddress as refusal:
            raise httpcore.ConnectError(str(refusal)) from refusal
        last_error = None
        for *_, sockaddr in rows:
            try:
                # The checked address itself, never the name again.
                return super().connect_tcp(
                    sockaddr[0], port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                last_error = error
        raise last_error or httpcore.ConnectError(f"No address for {host!r}.")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport whose connections go through ``_GuardedBackend``.

    httpx does not take a network backend, so the pool it built is replaced
    by the same one with ours (httpx is pinned; tests/integrations check
    that a private address is refused at connect time).
    """

    def __init__(self, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )


def http_client(*, timeout: float, connections: int) -> httpx.Client:
    """The worker's HTTP client: no redirects, no proxy from the environment."""
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections
    )
    transport = (
        httpx.HTTPTransport(limits=limits, trust_env=False)
        if private_urls_allowed()
        else GuardedTransport(limits=limits)
    )
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )
