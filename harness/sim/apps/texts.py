"""The strings a sign-up app shows, one ``AppTexts`` per app and language.

Keeping every visible phrase in one table makes an app's wording reviewable at a glance
and lets scenario authors copy the exact texts their steps and rules must match.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class AppTexts:
    """Visible texts of the shared sign-up flow. ``{...}`` fields are filled in."""

    consent_title: str
    consent_body: str
    agree: str
    disagree: str
    tagline: str
    signup_phone: str
    login: str
    phone_title: str
    country_code_desc: str
    phone_hint: str
    get_code: str
    resend_in: str  # {seconds}
    resend: str
    code_hint: str
    submit: str
    code_sent: str  # {number}
    invalid_phone: str
    need_code_first: str
    incorrect_code: str
    picker_title: str
    search_hint: str
    no_results: str
    home_title: str
    home_body: str  # {country}
    compose: str
    composer_title: str
    post_hint: str
    send: str
    posted: str
    empty_post: str
    sms_body: str  # {code}
    script: str = "en"  # picker names: "en", "zh-Hans" or "zh-Hant"
    app_name: str = ""  # the welcome screen's title; the launcher label when empty


def english(app: str, **overrides: str) -> AppTexts:
    """The English texts of the shared flow for app ``app``, with ``overrides``."""
    texts = AppTexts(
        consent_title="Privacy Policy",
        consent_body=(
            f"Welcome to {app}. We use your phone number to create your account and to "
            "keep the community safe. By tapping Agree you accept our Terms of Service "
            "and Privacy Policy."
        ),
        agree="Agree",
        disagree="Disagree",
        tagline=f"{app}: talk to the people who matter.",
        signup_phone="Sign up with phone",
        login="Log in",
        phone_title="Enter your phone number",
        country_code_desc="Country/region code",
        phone_hint="Phone number",
        get_code="Get code",
        resend_in="Resend in {seconds}s",
        resend="Resend code",
        code_hint="6-digit code",
        submit="Continue",
        code_sent="Code sent to {number}",
        invalid_phone="Invalid phone number",
        need_code_first="Tap Get code first",
        incorrect_code="Incorrect code",
        picker_title="Select country/region",
        search_hint="Search country or code",
        no_results="No results",
        home_title=f"Welcome to {app}",
        home_body="Showing posts near you ({country})",
        compose="Post",
        composer_title="New post",
        post_hint="What's on your mind?",
        send="Send",
        posted="Posted",
        empty_post="Write something first",
        sms_body=f"[{app}] Your verification code is {{code}}. It expires in 5 minutes.",
    )
    return replace(texts, **overrides)
