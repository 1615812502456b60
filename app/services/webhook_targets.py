"""Where a webhook may go: an http(s) URL whose host resolves only to public addresses.

Checked when a subscription is saved and again before every attempt (DNS may have changed
since). The name is resolved once; every address must pass, and the sender connects to the
address validated here (never resolving again), so a DNS rebinding between check and use
cannot point the request at the intranet. Loopback, private, link-local, CGNAT, multicast,
reserved and unspecified addresses are refused in every notation (decimal, hex, short forms
resolve to the same address; IPv4 inside IPv6 is unwrapped), as are cloud metadata names.
RAPPORT_WEBHOOK_ALLOWED_HOSTS (host names, IPs, CIDRs) lets named internal targets through;
metadata endpoints stay refused even then.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(ValueError):
    """A URL webhooks may not be sent to; the message says why, for the form or the log."""


@dataclasses.dataclass(frozen=True)
class Target:
    """A checked URL: connect to one of `addresses` (all checked, in the resolver's order),
    name `host` in the Host header and TLS."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def _parts(url: str):
    """(scheme, host, port, path) of a well-formed http(s) URL, or TargetRefused."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise TargetRefused(_("This is not a valid address.")) from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(_("Use an http:// or https:// address."))
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(_("Leave the user name and password out of the address."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused(_("The address has no host name."))
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host.lower(), port, path


def _embedded_ipv4(address: Address) -> Address:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), else the address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_problem(address: Address) -> str | None:
    """Why `address` is not a public destination (a short reason), or None if it is."""
    if address in METADATA_ADDRESSES:
        return _("a cloud metadata address")
    inner = _embedded_ipv4(address)
    if inner is not address:
        return address_problem(inner)
    if address.is_loopback:
        return _("a loopback address")
    if address.is_unspecified:
        return _("an unspecified address")
    if address.is_link_local:
        return _("a link-local address")
    if address.is_multicast:
        return _("a multicast address")
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return _("a shared (CGNAT) address")
    if isinstance(address, ipaddress.IPv6Address) and address.teredo:
        return _("a Teredo tunnel address")
    if address.is_private:
        return _("a private network address")
    if address.is_reserved or not address.is_global:
        return _("a reserved address")
    return None


def _allow_list():
    """(host names, networks) of RAPPORT_WEBHOOK_ALLOWED_HOSTS."""
    names, networks = set(), []
    for item in (current_app.config.get("RAPPORT_WEBHOOK_ALLOWED_HOSTS") or "").split(","):
        item = item.strip().lower().rstrip(".")
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
        except ValueError:
            names.add(item)
    return names, networks


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (an IP literal in any notation resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    seen: list[Address] = []
    for *_ignored, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


def check(url: str) -> Target:
    """The URL as a Target to connect to, or TargetRefused saying why it may not be used."""
    scheme, host, port, path = _parts(url)
    if host in METADATA_HOSTS:
        raise TargetRefused(_("%(host)s is a cloud metadata service.", host=host))
    addresses = resolve(host, port)
    if not addresses:
        raise TargetRefused(_("The host %(host)s cannot be found.", host=host))
    names, networks = _allow_list()
    for address in addresses:
        problem = address_problem(address)
        if problem is None:
            continue
        allowed = host in names or any(address in network for network in networks)
        if allowed and address not in METADATA_ADDRESSES:
            continue
        raise TargetRefused(
            _(
                "%(host)s resolves to %(address)s, %(problem)s: webhooks go only to public "
                "addresses (an administrator may allow internal hosts with "
                "RAPPORT_WEBHOOK_ALLOWED_HOSTS).",
                host=host,
                address=str(address),
                problem=problem,
            )
        )
    return Target(scheme, host, port, path, tuple(str(address) for address in addresses))
