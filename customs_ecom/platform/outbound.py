"""Where the server may send requests on an operator's behalf (webhooks): public HTTPS endpoints
only. An operator must not be able to point deliveries at the server's own network (loopback,
private ranges, link-local cloud metadata, ...): the URL is checked when it is registered, and
the address it resolves to is checked again, and pinned, when each delivery connects.

`WEBHOOK_ALLOW_LOCAL_TARGETS` (environment `CUSTOMS_ECOM_WEBHOOK_ALLOW_LOCAL`, off by default)
lifts both checks for development and tests that run a receiver on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_noop as N_

# Names that never leave the host or its site.
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def local_targets_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOCAL_TARGETS", False))


# IPv6 ranges that carry or translate an IPv4 address (NAT64, 6to4, IPv4-compatible and
# IPv4-translated): whatever they embed, a webhook has no business there.
_EMBEDDING_IPV4 = tuple(
    ipaddress.ip_network(n)
    for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "::/96", "::ffff:0:0:0/96")
)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif any(ip in network for network in _EMBEDDING_IPV4):
            return False
    return ip.is_global and not ip.is_multicast


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None. No DNS lookup here: a name is checked
    against the addresses it resolves to when a delivery connects."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return N_("The webhook URL is not a valid URL.")
    allow_local = local_targets_allowed()
    if parts.scheme != "https" and not (allow_local and parts.scheme == "http"):
        return N_("The webhook URL must use https.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return N_("The webhook URL needs a host name.")
    if not host.isascii():
        # The resolver reads a name in other characters as its IDNA (ASCII) form, folded first
        # ("①②⑦.0.0.1" is 127.0.0.1, "hooks.ｌｏｃａｌｈｏｓｔ" hooks.localhost): checked so.
        try:
            host = host.encode("idna").decode("ascii").rstrip(".").lower()
        except UnicodeError:
            return N_("The webhook URL is not a valid URL.")
    if parts.username is not None or parts.password is not None:
        return N_("The webhook URL must not carry a user name or password.")
    if port == 0:
        return N_("The webhook URL has no valid port.")
    if allow_local:
        return None
    if _is_ip(host):
        return (
            None if _public(host.strip("[]")) else N_("The webhook URL must name a public address.")
        )
    if _ipv4_spelling(host):
        # 127.1, 10.1.2, 0177.0.0.1, 0x7f000001, 2130706433...: the resolver reads these as
        # addresses, and other parsers read them otherwise (octal or decimal), so what is checked
        # here would not be what a delivery connects to.
        return N_("The webhook URL must write an IP address as four decimal numbers.")
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
        return N_("The webhook URL must name a public host.")
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _ipv4_spelling(host: str) -> bool:
    """True if the C resolver (``inet_aton``, which ``getaddrinfo`` uses) reads ``host`` as an
    IPv4 address: shorthand (127.1), octal (0177.0.0.1), hexadecimal (0x7f.1) or one number."""
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True


def public_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, if every one is public
    (unless local targets are allowed); raises OSError otherwise. Connect to these addresses, one
    after another until one answers, not to the name, so that a second lookup cannot answer
    differently."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    if not local_targets_allowed() and any(not _public(a) for a in addresses):
        # The address itself is not said: the operator reads this in its delivery log.
        raise OSError(f"{host} resolves to a non-public address: not delivered")
    return addresses


def public_address(host: str, port: int) -> str:
    """The first of `public_addresses`."""
    return public_addresses(host, port)[0]
