"""The vantage columns of a measurement, from what was observed: the egress check's answer
and what the device itself reported (its SIM, locale, time zone, GPS fix).

Each value is as observed: a signal the device did not give stays None, and so does the
match computed from it.
"""

from __future__ import annotations

from harness.attempt.device_vantage import LocationObservation
from harness.attempt.vantage import VantageResult
from harness.devices.base import DeviceInfo
from harness.spec.profile import Profile
from harness.storage.store import Vantage
from harness.vocabulary.locales import parse_locale


def _match(seen: str | None, wanted: str) -> bool | None:
    return None if not seen else seen.upper() == wanted.upper()


def observed_vantage(profile: Profile, info: DeviceInfo | None, device_id: str | None,
                     egress: VantageResult | None = None,
                     located: LocationObservation | None = None) -> Vantage:
    """Compare what the device reports with the profile's target country."""
    sources = ([f"egress:{egress.source or egress.verdict}"] if egress else []) + (
        ["device"] if info else [])
    locale_country = parse_locale(info.locale).region if info and info.locale else None
    return Vantage(
        device_id=device_id,
        sim_country=(info.sim_country if info else None),
        device_locale=info.locale if info else None,
        device_timezone=info.timezone if info else None,
        gps_country=located.gps_country if located else None,
        sim_country_match=_match(info.sim_country if info else None, profile.country),
        locale_match=_match(locale_country, profile.country),
        timezone_match=(None if not (info and info.timezone)
                        else info.timezone == profile.timezone),
        gps_country_match=located.gps_country_match if located else None,
        location_set=located.location_set if located else None,
        gps_detail=located.detail if located else None,
        vantage_source="+".join(sources) or None,
        network_country=info.network_country if info else None,
        device_sim_operator=info.carrier if info else None,
    )


def egress_vantage(profile: Profile, r: VantageResult) -> Vantage:
    """The egress check's answer as the measurement's network vantage columns."""
    return Vantage(
        egress_ip_masked=r.ip_masked, egress_ip_hash=r.ip_hash, egress_asn=r.asn,
        ip_country=r.ip_country,
        ip_country_match=None if r.ip_country is None else r.ip_country == profile.country,
        geoip_country=r.geoip_country, ip_sources_agree=r.sources_agree,
        vantage_checked_at=r.checked_at,
        vantage_source=f"egress:{r.source or r.verdict}" + (" (cached)" if r.cached else ""))


__all__ = ["egress_vantage", "observed_vantage"]
