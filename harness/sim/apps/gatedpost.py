"""GatedPost: a Weibo-like microblog (English UI, Chinese compliance notices). Everyone
can register and read the timeline, but posting from a number outside mainland China,
Hong Kong, Macao and Taiwan opens a real-name dialog and nothing is published: the
account exists with ``access_level`` limited, barrier ``feature_restricted`` (as
Weibo has required since 2017)."""

from __future__ import annotations

import phonenumbers

from harness.sim.apps.base import AppContext
from harness.sim.apps.signup import Dialog, PhoneSignupApp
from harness.sim.apps.texts import AppTexts, english

#: Calling codes whose accounts may post.
MAY_POST = frozenset({86, 852, 853, 886})

REAL_NAME_DIALOG = Dialog(
    title="实名认证 Real-name verification",
    message=(
        "根据国家法律法规要求，发布内容前需完成实名认证（绑定中国大陆手机号）。 "
        "Posting requires real-name verification."
    ),
    confirm="Verify now",
    cancel="Cancel",
)

_TEXTS = english(
    "GatedPost",
    tagline="GatedPost: see what's happening right now.",
    home_title="Home timeline",
    home_body="Trending near you ({country})",
    composer_title="New post",
    post_hint="What's new?",
)


class GatedPost(PhoneSignupApp):
    """Registration for all; posting only for +86/+852/+853/+886 numbers."""

    package = "org.harnessdemo.gatedpost"
    label = "GatedPost"
    sms_sender = "106980095588"

    def texts(self, ctx: AppContext) -> AppTexts:
        return _TEXTS

    def post_block(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> Dialog | None:
        return None if number.country_code in MAY_POST else REAL_NAME_DIALOG
