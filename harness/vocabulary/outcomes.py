"""The outcome vocabulary: what a measurement may conclude.

These enums are closed on purpose. Analysts compare numbers across runs, months and
harness versions; a new code is a deliberate, documented change (docs/outcomes.md and
``DATA_FORMAT_VERSION``), never an ad-hoc string. Every member carries its own docstring
and a test checks that each code is documented in docs/.

The split follows OONI: ``Status`` says whether the harness obtained an account, hit a
barrier, or could not measure; a ``Failure`` is a fault of the instrument and never a
finding about the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: Version of the measurement record format (the envelope and its columns). Bump it
#: when a column's meaning changes, so that exports can tell old rows from new.
DATA_FORMAT_VERSION = "1.1"


class DocumentedEnum(StrEnum):
    """A string enum whose members each carry a docstring (``member.doc``)."""

    doc: str

    def __new__(cls, value: str, doc: str = "") -> DocumentedEnum:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.doc = doc
        return obj

    def __str__(self) -> str:
        return str(self.value)


class Status(DocumentedEnum):
    """Lifecycle and result of one measurement (one attempt of one app from one profile)."""

    RUNNING = ("running", "The attempt has started and not finished; never a result.")
    ACCESS = ("access", "The account was obtained; see access_level for how much of it.")
    BARRIER = ("barrier", "The app or the store stopped the user; the barrier column says how.")
    FAILURE = ("failure", "The harness could not measure; the failure column says why.")
    ABORTED = (
        "aborted",
        "The run that owned the attempt died or was stopped (crash, kill, SIGINT, SIGTERM) "
        "before the attempt finished; never a result.",
    )

    @property
    def is_result(self) -> bool:
        """True for the statuses an analyst may count: access and barrier."""
        return self in (Status.ACCESS, Status.BARRIER)


class Stage(DocumentedEnum):
    """How far sign-up got, in funnel order."""

    VANTAGE = ("vantage", "Checking that the network vantage point is in the target country.")
    STORE = ("store", "Checking that the app can be obtained from the country's app store.")
    INSTALL = ("install", "Installing the app on the device.")
    LAUNCH = ("launch", "Starting the app.")
    SIGNUP = ("signup", "Consent and the way into sign-up (register / log in screens).")
    PHONE = ("phone", "Choosing the calling code and entering the phone number.")
    OTP = ("otp", "Requesting and entering the SMS verification code.")
    VERIFICATION = (
        "verification",
        "Extra checks after the code: ID, face, friend or risk verification.",
    )
    ACCOUNT = ("account", "The account exists and the app's home screen is reached.")
    FEATURES = ("features", "Using a feature such as posting or commenting with the account.")

    @property
    def order(self) -> int:
        """Position in the funnel, from 0 (vantage) to 9 (features)."""
        return list(Stage).index(self)


class Barrier(DocumentedEnum):
    """Why the app or the store stopped the user. A fixed list; see docs/outcomes.md."""

    STORE_UNAVAILABLE = (
        "store_unavailable",
        "The app is not offered in the country's app store.",
    )
    REGION_BLOCKED = (
        "region_blocked",
        "The app refuses service in the country or region (geo-block by IP or SIM).",
    )
    PHONE_COUNTRY_UNSUPPORTED = (
        "phone_country_unsupported",
        "The app does not accept phone numbers of the country (calling code not offered).",
    )
    PHONE_NUMBER_REJECTED = (
        "phone_number_rejected",
        "The calling code is offered but this valid number is refused.",
    )
    SMS_NOT_DELIVERED = (
        "sms_not_delivered",
        "The app said it sent a verification code, but no SMS arrived before the timeout.",
    )
    MAINLAND_PHONE_REQUIRED = (
        "mainland_phone_required",
        "The app demands a mainland China (+86) phone number.",
    )
    ID_VERIFICATION_REQUIRED = (
        "id_verification_required",
        "The app demands an identity document (real-name / ID card verification).",
    )
    FACE_VERIFICATION_REQUIRED = (
        "face_verification_required",
        "The app demands a face scan (liveness / face recognition).",
    )
    FRIEND_VERIFICATION_REQUIRED = (
        "friend_verification_required",
        "The app demands that an existing user vouches for the new account.",
    )
    RISK_CONTROL_BLOCK = (
        "risk_control_block",
        "Risk control refused the user: account or device blocked, registration closed for "
        "the device or environment, a rate limit that does not clear, an SMS to send.",
    )
    FEATURE_RESTRICTED = (
        "feature_restricted",
        "The account exists but a feature (posting, commenting) is gated on real-name binding.",
    )


class Failure(DocumentedEnum):
    """Why the harness could not measure. A fault of the instrument, never of the app."""

    PROXY_UNREACHABLE = (
        "proxy_unreachable",
        "The profile's proxy refused, timed out or rejected its credentials.",
    )
    VANTAGE_MISMATCH = (
        "vantage_mismatch",
        "The traffic left from a different country than the profile's.",
    )
    DEVICE_UNAVAILABLE = (
        "device_unavailable",
        "No device or Appium endpoint could be reached or a session could not be opened.",
    )
    SESSION_ERROR = (
        "session_error",
        "The device session broke during the attempt (server died, session lost).",
    )
    APP_NOT_INSTALLED = ("app_not_installed", "The app is not installed on the device.")
    UI_UNRECOGNIZED = (
        "ui_unrecognized",
        "Neither the step's target nor any barrier rule appeared before the step's timeout.",
    )
    CHALLENGE_REQUIRED = (
        "challenge_required",
        "A routine challenge a person would solve (slider, puzzle, captcha) and no operator "
        "was attending.",
    )
    TIMEOUT = ("timeout", "The attempt as a whole exceeded its time budget.")
    UNKNOWN_FAILURE = (
        "unknown_failure",
        "Anything unmapped; the detail column holds a scrubbed message.",
    )


class AccessLevel(DocumentedEnum):
    """How much of the app the user obtained."""

    FULL = ("full", "An account was obtained and every checked feature worked.")
    LIMITED = (
        "limited",
        "An account exists but not all of it was seen working: a feature gated by "
        "real-name rules (barrier feature_restricted, as Weibo did from 2017), or a feature "
        "check that broke (status access; the features column says which).",
    )
    NONE = ("none", "No account was obtained.")


class Backend(DocumentedEnum):
    """Which kind of device produced the measurement."""

    APPIUM = ("appium", "A real Appium endpoint: an emulator, a phone, or a farm.")
    SIM = ("sim", "The built-in simulator; demo data, excluded from analyst exports by default.")


@dataclass(frozen=True)
class Verdict:
    """What an attempt concluded, with the rule that said so and its evidence."""

    status: Status
    stage: Stage
    barrier: Barrier | None = None
    failure: Failure | None = None
    detail: str | None = None
    rule_id: str | None = None
    matched_text: str | None = None
    access_level: AccessLevel = AccessLevel.NONE

    def __post_init__(self) -> None:
        if self.status is Status.BARRIER and self.barrier is None:
            raise ValueError("a barrier verdict needs a barrier code")
        if self.status is Status.FAILURE and self.failure is None:
            raise ValueError("a failure verdict needs a failure code")
        if self.status is Status.ACCESS and self.access_level is AccessLevel.NONE:
            raise ValueError("an access verdict needs an access level")

    @property
    def outcome(self) -> str:
        """One short label: ``access:full``, ``barrier:sms_not_delivered``, ``failure:timeout``."""
        if self.status is Status.ACCESS:
            return f"access:{self.access_level.value}"
        if self.status is Status.BARRIER and self.barrier is not None:
            return f"barrier:{self.barrier.value}"
        if self.status is Status.FAILURE and self.failure is not None:
            return f"failure:{self.failure.value}"
        return self.status.value


ALL_VOCABULARIES: tuple[type[DocumentedEnum], ...] = (
    Status,
    Stage,
    Barrier,
    Failure,
    AccessLevel,
    Backend,
)
