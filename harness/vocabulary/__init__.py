"""The ground floor: the words every measurement is written in.

The outcome vocabulary (statuses, stages, barriers, failures, access levels), countries
and study regions, locale tags, and the IP-echo answer formats. Nothing here imports
another package of the harness.
"""

from __future__ import annotations

from harness.vocabulary.countries import (
    Country,
    Region,
    all_countries,
    country_at,
    country_name_patterns,
    get_country,
    suggest_countries,
)
from harness.vocabulary.ipecho import (
    EchoFormatError,
    EgressAnswer,
    parse_echo,
)
from harness.vocabulary.locales import (
    Locale,
    is_locale_tag,
    parse_locale,
)
from harness.vocabulary.outcomes import (
    ALL_VOCABULARIES,
    DATA_FORMAT_VERSION,
    AccessLevel,
    Backend,
    Barrier,
    DocumentedEnum,
    Failure,
    Stage,
    Status,
    Verdict,
)

__all__ = [
    "ALL_VOCABULARIES",
    "DATA_FORMAT_VERSION",
    "AccessLevel",
    "Backend",
    "Barrier",
    "Country",
    "DocumentedEnum",
    "EchoFormatError",
    "EgressAnswer",
    "Failure",
    "Locale",
    "Region",
    "Stage",
    "Status",
    "Verdict",
    "all_countries",
    "country_at",
    "country_name_patterns",
    "get_country",
    "is_locale_tag",
    "parse_echo",
    "parse_locale",
    "suggest_countries",
]
