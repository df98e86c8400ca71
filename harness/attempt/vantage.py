"""Where an attempt is really made from: the egress check through the profile's proxy.

A barrier observed from the wrong country is worse than no data, so before a profile's
first attempt the harness asks an IP-echo endpoint, through the same proxy the device
uses, which address the traffic leaves from. Country and ASN come from that answer
(ipinfo-style and ip-api-style JSON are both understood) and, offline, from the GeoIP
database that ``geoip2fast`` ships; both are recorded and a disagreement is flagged.

- egress country differs from the profile's -> ``failure: vantage_mismatch``
- proxy refused, timed out, or rejected the credentials -> ``failure: proxy_unreachable``

Neither is ever a barrier. Results are cached per proxy for ``ttl`` seconds, in the
process and in the ``vantage_checks`` table (so xdist workers and runs share them). The
proxy's password and the exit address are never stored or shown in clear: the address
is kept masked (its /24) and as a keyed hash.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal

import httpx
from sqlalchemy import select

from harness.spec.profile import Profile
from harness.storage.models import VantageCheck
from harness.storage.store import Store
from harness.support.errors import ConfigError
from harness.support.secrets import keyed_hash, mask_ip, mask_url, scrub
from harness.vocabulary.ipecho import EchoFormatError, EgressAnswer, parse_echo

log = logging.getLogger(__name__)

DEFAULT_TTL = 3600.0

VerdictCode = Literal["ok", "vantage_mismatch", "proxy_unreachable", "echo_failed"]


@cache
def _geoip() -> Any:
    try:
        from geoip2fast import GeoIP2Fast

        return GeoIP2Fast()
    except Exception as exc:  # the offline database is an extra opinion, never required
        log.warning("offline GeoIP database unavailable: %s", exc)
        return None


def geoip_country(ip: str) -> str | None:
    """The country of ``ip`` in the offline database, or None (private, unknown)."""
    db = _geoip()
    if db is None:
        return None
    try:
        result = db.lookup(ip)
    except Exception:
        return None
    code = getattr(result, "country_code", None)
    return code.upper() if isinstance(code, str) and len(code) == 2 and code != "--" else None


@dataclass(frozen=True)
class VantageResult:
    verdict: VerdictCode
    profile_id: str
    country: str
    proxy_masked: str | None
    endpoint: str
    checked_at: datetime
    ip_masked: str | None = None
    ip_hash: str | None = None
    asn: str | None = None
    ip_country: str | None = None
    geoip_country: str | None = None
    sources_agree: bool | None = None
    source: str | None = None
    detail: str | None = None
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def _proxy_error(exc: Exception, proxy_masked: str, secrets: list[str]) -> str:
    text = scrub(f"{type(exc).__name__}: {exc}", secrets)
    return f"the proxy {proxy_masked} failed: {text}"


def _result(profile: Profile, proxy_url: str | None, endpoint: str, checked_at: datetime,
            verdict: VerdictCode, detail: str | None, answer: EgressAnswer | None,
            geo: str | None) -> VantageResult:
    """A check's result, with the exit address masked and hashed, never in clear."""
    ip_country = (answer.country if answer else None) or geo
    agree = None
    if answer is not None and answer.country is not None and geo is not None:
        agree = answer.country == geo
    return VantageResult(
        verdict=verdict, profile_id=profile.id, country=profile.country,
        proxy_masked=mask_url(proxy_url) if proxy_url else None, endpoint=endpoint,
        checked_at=checked_at,
        ip_masked=mask_ip(answer.ip) if answer else None,
        ip_hash=keyed_hash(answer.ip) if answer else None,
        asn=answer.asn if answer else None, ip_country=ip_country, geoip_country=geo,
        sources_agree=agree, source=answer.source if answer else None, detail=detail)


def check_egress(profile: Profile, proxy_url: str | None, endpoint: str,
                 timeout: float = 10.0,
                 client_factory: Callable[..., httpx.Client] = httpx.Client,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> VantageResult:
    """Ask ``endpoint`` through ``proxy_url`` (None = direct) where traffic leaves from."""
    shown = mask_url(proxy_url) if proxy_url else "direct"
    secrets = [proxy_url] if proxy_url else []
    checked_at = now()

    def result(verdict: VerdictCode, detail: str | None = None,
               answer: EgressAnswer | None = None, geo: str | None = None) -> VantageResult:
        """This check's result: its verdict, and what the answer and GeoIP said."""
        return _result(profile, proxy_url, endpoint, checked_at, verdict, detail, answer, geo)

    try:
        with client_factory(proxy=proxy_url, timeout=timeout, trust_env=False) as client:
            resp = client.get(endpoint, headers={"Accept": "application/json"})
    except (httpx.ProxyError, httpx.ConnectError, httpx.TimeoutException,
            httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        if proxy_url is None:
            return result("echo_failed", f"the IP-echo endpoint {endpoint} is unreachable: "
                                         f"{type(exc).__name__}")
        return result("proxy_unreachable", _proxy_error(exc, shown, secrets))
    except Exception as exc:  # socks auth errors surface as various exception types
        if proxy_url is None:
            raise
        return result("proxy_unreachable", _proxy_error(exc, shown, secrets))
    if resp.status_code == 407:
        return result("proxy_unreachable",
                      f"the proxy {shown} rejected its credentials (HTTP 407)")
    if resp.status_code != 200:
        return result("echo_failed", f"the IP-echo endpoint answered HTTP {resp.status_code}")
    try:
        answer = parse_echo(resp.json())
    except (ValueError, EchoFormatError) as exc:
        return result("echo_failed", f"unreadable IP-echo answer: {exc}")
    geo = geoip_country(answer.ip)
    ip_country = answer.country or geo
    if ip_country != profile.country:
        return result("vantage_mismatch",
                      f"traffic through {shown} leaves from "
                      f"{ip_country or 'an unknown country'}, not {profile.country} (exit "
                      f"{mask_ip(answer.ip)}, {answer.asn or 'ASN unknown'})", answer, geo)
    return result("ok", None, answer, geo)


class VantageChecker:
    """Egress checks with a per-proxy cache shared through the database."""

    def __init__(self, store: Store | None, endpoint: str, ttl: float = DEFAULT_TTL,
                 timeout: float = 10.0, run_id: str | None = None) -> None:
        self.store = store
        self.endpoint = endpoint
        self.ttl = ttl
        self.timeout = timeout
        self.run_id = run_id
        self._memo: dict[str, VantageResult] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _key(self, profile: Profile, proxy_url: str | None) -> str:
        return keyed_hash(f"{proxy_url or 'direct'}|{self.endpoint}|{profile.country}")

    def check(self, profile: Profile, proxy_url: str | None) -> VantageResult:
        key = self._key(profile, proxy_url)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one check per proxy at a time; the others wait for its answer
            now = datetime.now(UTC)
            hit = self._memo.get(key)
            if hit is not None and (now - hit.checked_at).total_seconds() < self.ttl:
                return _cached(hit)
            stored = self._from_store(key, profile, now)
            if stored is not None:
                self._memo[key] = stored
                return _cached(stored)
            result = check_egress(profile, proxy_url, self.endpoint, self.timeout)
            if result.verdict in ("ok", "vantage_mismatch"):
                self._memo[key] = result  # failures are retried at the next attempt
            self._save(key, result)
            return result

    def _from_store(self, key: str, profile: Profile, now: datetime) -> VantageResult | None:
        if self.store is None:
            return None
        since = now - timedelta(seconds=self.ttl)
        with self.store.session() as s:
            row = s.scalars(select(VantageCheck)
                            .where(VantageCheck.proxy_hash == key,
                                   VantageCheck.checked_at >= since,
                                   VantageCheck.verdict.in_(["ok", "vantage_mismatch"]))
                            .order_by(VantageCheck.checked_at.desc()).limit(1)).first()
        if row is None:
            return None
        checked = row.checked_at if row.checked_at.tzinfo else row.checked_at.replace(
            tzinfo=UTC)
        verdict: VerdictCode = "ok" if row.verdict == "ok" else "vantage_mismatch"
        return VantageResult(
            verdict=verdict, profile_id=profile.id, country=profile.country,
            proxy_masked=row.proxy_masked, endpoint=row.endpoint or self.endpoint,
            checked_at=checked, ip_masked=row.egress_ip_masked, ip_hash=row.egress_ip_hash,
            asn=row.asn, ip_country=row.ip_country, geoip_country=row.geoip_country,
            sources_agree=row.sources_agree, detail=row.detail, cached=True)

    def _save(self, key: str, r: VantageResult) -> None:
        if self.store is None:
            return
        row = VantageCheck(run_id=self.run_id, profile_id=r.profile_id, country=r.country,
                           proxy_masked=r.proxy_masked, proxy_hash=key, endpoint=r.endpoint,
                           checked_at=r.checked_at, egress_ip_masked=r.ip_masked,
                           egress_ip_hash=r.ip_hash, asn=r.asn, ip_country=r.ip_country,
                           geoip_country=r.geoip_country, sources_agree=r.sources_agree,
                           verdict=r.verdict, detail=r.detail)
        self.store.record_vantage_check(row)


def check_full_tunnel(profile: Profile, confirmed: frozenset[str]) -> None:
    """Refuse to measure a profile that requires a full tunnel nobody confirmed.

    An emulator's ``-http-proxy`` carries HTTP(S) only: DNS lookups and UDP (QUIC, some
    apps' own protocols) leave from the host's own network and can betray the vantage
    point. A profile with ``full_tunnel: true`` says its traffic must go through a
    full tunnel (a VPN app on the device, or the emulator in a network namespace whose
    only route is the tunnel); the operator confirms it per run with
    ``--full-tunnel-confirmed=ID`` or ``HARNESS_FULL_TUNNEL_<ID>=confirmed``.
    """
    if not profile.full_tunnel:
        return
    env = f"HARNESS_FULL_TUNNEL_{profile.id.upper().replace('-', '_').replace('.', '_')}"
    if profile.id in confirmed or profile.country in confirmed or \
            os.environ.get(env, "").lower() == "confirmed":
        return
    raise ConfigError(profile.where("full_tunnel"), "full_tunnel",
                      f"profile {profile.id} must measure through a full tunnel (VPN app or "
                      "network namespace), and nobody confirmed one is up; refusing to "
                      "measure", f"Bring the tunnel up, then pass --full-tunnel-confirmed="
                      f"{profile.id} or export {env}=confirmed")


def _cached(r: VantageResult) -> VantageResult:
    return replace(r, cached=True)
