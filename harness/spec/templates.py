"""Template variables in scenario values: ``{phone.national}``, ``{otp}``, ``{country}``.

Only the names in ``VARIABLES`` exist; a scenario using another is rejected when it is
loaded, not halfway through a run. ``{{`` and ``}}`` write literal braces.
"""

from __future__ import annotations

import re

VARIABLES: dict[str, str] = {
    "phone.e164": "The SIM's number in E.164 form, e.g. +4915112345678 (secret).",
    "phone.national": "The national significant number, without the calling code (secret).",
    "phone.calling_code": "The calling code, digits only, e.g. 49.",
    "country": "The profile's ISO 3166-1 alpha-2 country code, e.g. DE.",
    "country_name": "The country's English name, e.g. Germany.",
    "profile.id": "The profile id.",
    "profile.locale": "The profile's locale, e.g. de_DE.",
    "profile.language": "The profile's language, e.g. de.",
    "otp": "The SMS code read by the latest request_otp / enter_otp step (secret).",
    "account.password": "A password for the new account: HARNESS_ACCOUNT_PASSWORD, else a "
                        "random one per attempt (secret).",
}

#: Variables whose values must never be written to logs, steps or evidence in clear.
SECRET_VARIABLES = frozenset({"phone.e164", "phone.national", "otp", "account.password"})

_VAR = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def variables_in(text: str) -> list[str]:
    return [m.group(1) for m in _VAR.finditer(text) if m.group(1) is not None]


def unknown_variables(text: str) -> list[str]:
    return [v for v in variables_in(text) if v.strip() not in VARIABLES]


def render(text: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        name = m.group(1).strip()
        if name not in values:
            raise KeyError(name)
        return values[name]

    return _VAR.sub(sub, text)


def is_secret(text: str) -> bool:
    return any(v.strip() in SECRET_VARIABLES for v in variables_in(text))
