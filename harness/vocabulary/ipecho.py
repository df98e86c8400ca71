"""The answer of an IP-echo endpoint: which address a connection arrives from, and the
country and network (ASN) the endpoint puts it in.

Two formats are understood, ipinfo-style and ip-api-style JSON. The egress check
(``harness.attempt.vantage``) and the simulator's network both read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EgressAnswer:
    ip: str
    country: str | None
    asn: str | None
    source: str


class EchoFormatError(ValueError):
    """The IP-echo answer is neither ipinfo-style nor ip-api-style JSON."""


def parse_echo(data: Any) -> EgressAnswer:
    """Read an IP-echo answer.

    ipinfo: ``{"ip": "...", "country": "DE", "org": "AS3320 Deutsche Telekom AG"}``;
    ip-api: ``{"status": "success", "query": "...", "countryCode": "DE",
    "as": "AS3320 Deutsche Telekom AG"}``.
    """
    if not isinstance(data, Mapping):
        raise EchoFormatError("the answer is not a JSON object")
    if "query" in data or "countryCode" in data:
        if data.get("status", "success") != "success":
            raise EchoFormatError(f"ip-api answered status {data.get('status')!r}: "
                                  f"{data.get('message', '')}")
        ip, country, org, source = (data.get("query"), data.get("countryCode"),
                                    data.get("as"), "ip-api")
    elif "ip" in data:
        ip, country, org, source = data.get("ip"), data.get("country"), data.get("org"), \
            "ipinfo"
        asn_obj = data.get("asn")
        if not org and isinstance(asn_obj, Mapping):
            org = asn_obj.get("asn")
    else:
        raise EchoFormatError("no `ip` (ipinfo) or `query` (ip-api) field")
    if not isinstance(ip, str) or not ip:
        raise EchoFormatError("the answer has no IP address")
    asn = None
    if isinstance(org, str) and org.upper().startswith("AS"):
        asn = org.split()[0].upper()
    cc = country.upper() if isinstance(country, str) and len(country) == 2 else None
    return EgressAnswer(ip=ip, country=cc, asn=asn, source=source)


__all__ = ["EchoFormatError", "EgressAnswer", "parse_echo"]
