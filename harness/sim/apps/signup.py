"""``PhoneSignupApp``: the sign-up-with-phone flow the demo apps share, with policy hooks.

Flow: privacy consent -> welcome -> phone form (calling-code button, phone number,
"Get code", code, submit) with a searchable calling-code picker -> optional gate
(app-specific, e.g. real-name ID form) -> home -> composer. Every demo app is this flow
plus a text table (``texts``) and the decisions that make it a different measurement
subject: which calling codes the picker offers (``offered_regions``), whether the code
SMS is delivered (``delivers_sms``), what stands between a verified number and the
account (``gate_after_signup``) and whether posting is allowed (``post_block``).

Resource ids follow the convention scenarios rely on: ``<package>:id/country_code``,
``country_search``, ``country_list``, ``phone_input``, ``get_code``, ``code_input``,
``submit``, ``compose``, ``post_body``, ``send``; messages appear in ``status``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers

from harness.sim.apps.base import AppContext
from harness.sim.apps.texts import AppTexts
from harness.sim.regions import (
    Region,
    all_regions,
    e164,
    international,
    parse_national,
    region,
    search,
)
from harness.sim.ui import (
    Node,
    button,
    column,
    edit_text,
    list_row,
    list_view,
    text_view,
)

CONSENT = "consent"
WELCOME = "welcome"
PHONE = "phone"
PICKER = "picker"
GATE = "gate"
HOME = "home"
COMPOSER = "composer"


@dataclass(frozen=True)
class Dialog:
    """A modal alert: Android's ``android:id/message`` with one or two buttons."""

    title: str
    message: str
    confirm: str
    cancel: str | None = None


@dataclass(frozen=True)
class _SentCode:
    code: str
    number: phonenumbers.PhoneNumber
    at: float


class PhoneSignupApp:
    """Base class of the demo apps; subclasses set the class attributes and ``texts``."""

    package: str = "org.harnessdemo.example"
    label: str = "Example"
    #: The SMS sender shown in the inbox (a Chinese-style 1069 short code by default).
    sms_sender: str = "106900001234"
    #: The picker's preselected region when the SIM's country is not offered.
    fallback_region: str = "US"
    resend_seconds: int = 60

    def __init__(self) -> None:
        self._rng = random.Random()
        self._nav = 0
        self.clear()

    # --- policy hooks (override in apps) --------------------------------------------

    def texts(self, ctx: AppContext) -> AppTexts:
        """The texts for this device's language."""
        raise NotImplementedError

    def offered_regions(self) -> Sequence[Region]:
        """Entries of the calling-code picker; every region by default."""
        return all_regions()

    def default_region(self, ctx: AppContext) -> str:
        """The preselected region: the SIM's country when offered, as most apps do."""
        sim = ctx.profile.sim_country
        if any(r.code == sim for r in self.offered_regions()):
            return sim
        return self.fallback_region

    def delivers_sms(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> bool:
        """Whether the verification SMS to ``number`` is actually sent."""
        return True

    def gate_after_signup(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> str | None:
        """A gate name standing between a verified number and the account, or None."""
        return None

    def gate_content(self, gate: str, ctx: AppContext) -> list[Node]:
        """The views of gate screen ``gate``."""
        raise NotImplementedError

    def gate_tap(self, gate: str, action: str, ctx: AppContext) -> None:
        """A tap on a gate screen's view (``action`` without its ``gate:`` prefix)."""

    def post_block(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> Dialog | None:
        """The dialog that stops ``number``'s account from posting, or None to publish."""
        return None

    # --- SimApp -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._screen is not None

    def clear(self) -> None:
        self.consented = False
        self.account: phonenumbers.PhoneNumber | None = None
        self.gate: str | None = None
        self.posts: list[str] = []
        self.stop()

    def stop(self) -> None:
        self._screen: str | None = None
        self.fields: dict[str, str] = {}
        self.focused: str | None = None
        self.region: str | None = None
        self.sent: _SentCode | None = None
        self.message: str | None = None
        self.dialog: Dialog | None = None

    def start(self, ctx: AppContext) -> None:
        self.stop()
        self.region = self.default_region(ctx)
        if not self.consented:
            self.go(CONSENT)
        elif self.gate is not None:
            self.go(GATE)
        elif self.account is not None:
            self.go(HOME)
        else:
            self.go(WELCOME)

    def view_token(self) -> str:
        return f"{self._screen}#{self._nav}"

    @property
    def screen(self) -> str | None:
        return self._screen

    def go(self, screen: str | None, message: str | None = None) -> None:
        """Show another screen (a new activity: earlier element references go stale)."""
        self._screen = screen
        self.message = message
        self.focused = None
        self.dialog = None
        self._nav += 1

    def show_dialog(self, dialog: Dialog | None) -> None:
        self.dialog = dialog
        self._nav += 1

    def rid(self, name: str) -> str:
        return f"{self.package}:id/{name}"

    def back(self, ctx: AppContext) -> bool:
        if self.dialog is not None:
            self.show_dialog(None)
        elif self._screen == PICKER:
            self.go(PHONE)
        elif self._screen == PHONE:
            self.go(WELCOME)
        elif self._screen == COMPOSER:
            self.go(HOME)
        else:
            self.stop()
        return self.running

    def type_text(self, field: str, text: str, ctx: AppContext) -> None:
        self.fields[field] = text
        self.focused = field

    def tap(self, action: str, ctx: AppContext) -> None:
        verb, _, arg = action.partition(":")
        if verb == "focus":
            self.focused = arg
        elif verb == "dialog":
            self.show_dialog(None)
        elif verb == "gate" and self.gate is not None:
            self.gate_tap(self.gate, arg, ctx)
        elif verb == "pick":
            self.region = arg
            self.go(PHONE)
        elif action == "agree":
            self.consented = True
            self.go(WELCOME)
        elif action == "disagree":
            self.stop()
        elif action in ("signup", "login"):
            self.go(PHONE)
        elif action == "open_picker":
            self.fields.pop("country_search", None)
            self.go(PICKER)
        elif action == "get_code":
            self._get_code(ctx)
        elif action == "submit":
            self._submit(ctx)
        elif action == "compose":
            self.fields.pop("post_body", None)
            self.go(COMPOSER)
        elif action == "send":
            self._send(ctx)

    def content(self, ctx: AppContext) -> Node:
        t = self.texts(ctx)
        if self.dialog is not None:
            return self._dialog_content(self.dialog)
        screen = self._screen or CONSENT
        views: list[Node]
        if screen == CONSENT:
            views = [
                text_view(t.consent_title, rid=self.rid("consent_title"), style="title"),
                text_view(t.consent_body, rid=self.rid("consent_body")),
                button(t.agree, "agree", rid=self.rid("agree")),
                button(t.disagree, "disagree", rid=self.rid("disagree")),
            ]
        elif screen == WELCOME:
            views = [
                text_view(t.app_name or self.label, rid=self.rid("app_name"), style="title"),
                text_view(t.tagline, rid=self.rid("tagline")),
                button(t.signup_phone, "signup", rid=self.rid("signup_phone")),
            ]
            if t.login:
                views.append(button(t.login, "login", rid=self.rid("login")))
        elif screen == PHONE:
            views = self._phone_views(t, ctx)
        elif screen == PICKER:
            views = self._picker_views(t)
        elif screen == GATE and self.gate is not None:
            views = self.gate_content(self.gate, ctx)
        elif screen == HOME:
            views = self._home_views(t, ctx)
        else:
            views = self._composer_views(t)
        if self.message and screen not in (PHONE, HOME):
            views.append(text_view(self.message, rid=self.rid("status")))
        return column(views, rid=self.rid(f"{screen}_root"))

    # --- screens ----------------------------------------------------------------------

    def _field(self, name: str, hint: str) -> Node:
        return edit_text(
            name,
            self.fields.get(name, ""),
            rid=self.rid(name),
            hint=hint,
            focused=self.focused == name,
        )

    def _phone_views(self, t: AppTexts, ctx: AppContext) -> list[Node]:
        picked = region(self.region or self.fallback_region)
        views = [
            text_view(t.phone_title, rid=self.rid("phone_title"), style="title"),
            button(
                f"+{picked.calling_code}",
                "open_picker",
                rid=self.rid("country_code"),
                desc=f"{t.country_code_desc} {picked.label(t.script)}",
            ),
            self._field("phone_input", t.phone_hint),
        ]
        remaining = 0
        if self.sent is not None:
            remaining = math.ceil(self.sent.at + self.resend_seconds - ctx.now())
        if remaining > 0:
            views.append(
                button(
                    t.resend_in.format(seconds=remaining),
                    "get_code",
                    rid=self.rid("get_code"),
                    enabled=False,
                )
            )
        else:
            label = t.get_code if self.sent is None else t.resend
            views.append(button(label, "get_code", rid=self.rid("get_code")))
        views.append(self._field("code_input", t.code_hint))
        if self.message:
            views.append(text_view(self.message, rid=self.rid("status")))
        views.append(button(t.submit, "submit", rid=self.rid("submit")))
        return views

    def _picker_views(self, t: AppTexts) -> list[Node]:
        query = self.fields.get("country_search", "")
        rows = [
            list_row(
                r.label(t.script),
                f"pick:{r.code}",
                rid=self.rid("country_row"),
                key=f"row:{r.code}",
            )
            for r in search(self.offered_regions(), query, t.script)
        ]
        views = [
            text_view(t.picker_title, rid=self.rid("picker_title"), style="title"),
            self._field("country_search", t.search_hint),
        ]
        if not rows:
            views.append(text_view(t.no_results, rid=self.rid("empty")))
        views.append(list_view(rows, rid=self.rid("country_list")))
        return views

    def _home_views(self, t: AppTexts, ctx: AppContext) -> list[Node]:
        country = region(ctx.profile.network_country).name(t.script)
        views = [
            text_view(t.home_title, rid=self.rid("home_title"), style="title"),
            text_view(t.home_body.format(country=country), rid=self.rid("home_body")),
            button(t.compose, "compose", rid=self.rid("compose")),
        ]
        if self.message:
            views.append(text_view(self.message, rid=self.rid("status")))
        views.extend(
            text_view(post, rid=self.rid("post_text"), style="small") for post in self.posts
        )
        return views

    def _composer_views(self, t: AppTexts) -> list[Node]:
        return [
            text_view(t.composer_title, rid=self.rid("composer_title"), style="title"),
            self._field("post_body", t.post_hint),
            button(t.send, "send", rid=self.rid("send")),
        ]

    def _dialog_content(self, dialog: Dialog) -> Node:
        views = [
            text_view(dialog.title, rid="android:id/alertTitle", style="title"),
            text_view(dialog.message, rid="android:id/message"),
            button(dialog.confirm, "dialog:confirm", rid="android:id/button1"),
        ]
        if dialog.cancel:
            views.append(button(dialog.cancel, "dialog:cancel", rid="android:id/button2"))
        return column(views, rid="android:id/parentPanel", style="dialog")

    # --- behaviour --------------------------------------------------------------------

    def _get_code(self, ctx: AppContext) -> None:
        t = self.texts(ctx)
        if self.sent is not None and ctx.now() < self.sent.at + self.resend_seconds:
            return  # the button is disabled during the countdown
        number = parse_national(self.fields.get("phone_input", ""), self.region or "")
        if number is None:
            self.message = t.invalid_phone
            return
        code = f"{self._rng.randrange(1_000_000):06d}"
        self.sent = _SentCode(code=code, number=number, at=ctx.now())
        if self.delivers_sms(number, ctx):
            ctx.send_sms_to(e164(number), self.sms_sender, t.sms_body.format(code=code))
        self.message = t.code_sent.format(number=international(number))

    def _submit(self, ctx: AppContext) -> None:
        t = self.texts(ctx)
        if self.sent is None:
            self.message = t.need_code_first
            return
        if self.fields.get("code_input", "").strip() != self.sent.code:
            self.message = t.incorrect_code
            return
        self.account = self.sent.number
        self.gate = self.gate_after_signup(self.sent.number, ctx)
        self.go(HOME if self.gate is None else GATE)

    def _send(self, ctx: AppContext) -> None:
        t = self.texts(ctx)
        body = self.fields.get("post_body", "").strip()
        if not body:
            self.message = t.empty_post
            return
        block = self.post_block(self.account, ctx) if self.account is not None else None
        if block is not None:
            self.show_dialog(block)
            return
        self.posts.insert(0, body)
        self.go(HOME, message=t.posted)
