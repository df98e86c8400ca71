"""Android's runtime-permission dialogs: which button answers one ("allow" or "deny"),
in the system's words in English and Chinese, by resource id first."""

from __future__ import annotations

import re

from harness.verdicts.screen import SYSTEM_DIALOG_PACKAGES, Node, Screen

#: Buttons of Android's runtime-permission dialog, most preferred first, by answer.
_PERMISSION_BUTTONS = {
    "allow": (re.compile(r"permission_allow_foreground_only_button$"),
              re.compile(r"permission_allow_button$"),
              re.compile(r"permission_allow_one_time_button$"),
              re.compile(r"^(while using the app|only while using the app|allow|允许|允許|"
                         r"仅在使用(该|此)?应用(期间|时)允许|僅在使用(該|此)?應用程式(期間|時)允許|"
                         r"使用时允许|使用時允許)$", re.IGNORECASE)),
    "deny": (re.compile(r"permission_deny_and_dont_ask_again_button$"),
             re.compile(r"permission_deny_button$"),
             re.compile(r"^(don.t allow|deny|拒绝|拒絕|不允许|不允許)$", re.IGNORECASE)),
}



def permission_button(screen: Screen, answer: str) -> tuple[Node, str] | None:
    """The button of a permission dialog on ``screen`` that gives ``answer``, and the
    dialog's question; None when no such dialog is showing."""
    dialog = [n for n in screen.nodes() if n.package in SYSTEM_DIALOG_PACKAGES
              and n.displayed]
    if not dialog:
        return None
    buttons = [n for n in dialog if n.clickable or n.cls.endswith("Button")]
    choice: Node | None = None
    for pattern in _PERMISSION_BUTTONS.get(answer, ()):
        choice = next((b for b in buttons if pattern.search(b.resource_id)
                       or pattern.search(b.label.strip())), None)
        if choice is not None:
            break
    if choice is None:
        return None
    question = next((n.label for n in dialog if n.label and n not in buttons
                     and "message" in n.resource_id), "") or next(
        (n.label for n in dialog if n.label and n not in buttons), "")
    return choice, question


__all__ = ["permission_button"]
