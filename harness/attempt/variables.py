"""The values of the template variables in a scenario (``{phone.national}``,
``{country_name}``, ``{account.password}``) for one attempt.

Clear values of secrets are registered with the scrubber as they are made, so they are
masked in every message, log line and stored text (``harness.support.secrets``).
"""

from __future__ import annotations

import os
import secrets as stdlib_secrets

from harness.spec.profile import PhoneNumber, Profile
from harness.support.secrets import register_secret
from harness.vocabulary.countries import get_country


def template_variables(profile: Profile, phone: PhoneNumber) -> dict[str, str]:
    """Every variable of ``harness.spec.templates.VARIABLES`` but ``{otp}`` (which the
    runner fills once the code arrives)."""
    country = get_country(profile.country)
    return {
        "phone.e164": phone.e164.reveal(),
        "phone.national": phone.national.reveal(),
        "phone.calling_code": str(phone.calling_code),
        "country": profile.country,
        "country_name": country.name if country else profile.country,
        "profile.id": profile.id,
        "profile.locale": profile.locale,
        "profile.language": profile.language,
        "account.password": account_password(),
    }


def account_password() -> str:
    """``HARNESS_ACCOUNT_PASSWORD`` (to log in later and delete the account), else a strong
    random password for this attempt that is never stored."""
    value = os.environ.get("HARNESS_ACCOUNT_PASSWORD") or (
        "Hx-" + stdlib_secrets.token_urlsafe(12))
    register_secret(value)
    return value


__all__ = ["account_password", "template_variables"]
