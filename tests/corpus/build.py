"""Builds the labelled screen corpus: YAML screen specs -> Android UI hierarchy dumps.

The corpus (tests/corpus/specs/*.yaml, and the held-out set in tests/corpus/holdout/*.yaml)
describes each screen by what a person sees on it, in the layout an Android app would use:
an alert dialog, a toast over a form, a bottom sheet, a settings list, a feed, a web page.
This module turns each spec into a page source the way a device reports it, alternating
between UiAutomator2's page source (``<android.widget.TextView ...>``) and
``uiautomator dump`` files (``<node class=...>``), with the status bar, the navigation bar
and the nesting, resource ids and flags real apps have. The XML files are written to
``tests/corpus/screens/`` (``holdout/screens/``) and committed, so ``harness classify`` can
be run on any of them; ``python tests/corpus/build.py --check`` fails when a spec and its
XML disagree.

A spec (every key but ``id``, ``label``, ``stage``, ``lang`` and ``layout`` is optional)::

    - id: id-douyin-dialog-zh_hans       # unique; the file name
      label: id_verification_required    # a barrier code, challenge_required, or none
      stage: verification                # the funnel stage the screen appears at
      lang: zh-Hans                      # zh-Hans | zh-Hant | en
      kind: barrier                      # what sort of screen (free text, for reports)
      app: com.ss.android.ugc.aweme
      layout: dialog                     # page | dialog | custom_dialog | toast | sheet |
                                         # snackbar | list | feed | webview
      title: 实名认证
      texts: ["根据相关法律法规，请完成实名认证后继续使用"]
      fields: [请输入真实姓名, 请输入身份证号]      # EditText hints
      buttons: [去认证, 取消]
      links: [其他方式登录]                         # small tappable texts
      checkbox: 我已阅读并同意《用户协议》
      rows: [[实名认证, 已认证], [账号安全]]          # list rows: title, optional value
      posts: [{author: 小王, text: ..., meta: 2小时前}]
      tabs: [首页, 消息, 我]                         # bottom navigation
      under: {layout: page, title: 注册, fields: [请输入手机号]}  # behind a dialog/toast/sheet
      toast: 验证码已发送                              # a toast over the screen
      notification: 完成实名认证领红包                  # a system heads-up notification
      format: dump                                    # force uia2 or dump
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import yaml

from harness.verdicts.scoring import LabelledScreen
from harness.vocabulary.outcomes import Stage

HERE = Path(__file__).resolve().parent
#: The sets written apart from the rules, each in tests/corpus/<name>/ (specs) and
#: tests/corpus/<name>/screens/ (XML), in the order they were written.
APART = ("holdout", "unseen", "final", "blind", "sealed", "vault")
SETS = {"corpus": (HERE / "specs", HERE / "screens"),
        **{name: (HERE / name, HERE / name / "screens") for name in APART}}
#: Sets written apart whose first score is not yet recorded: ``make bench`` reports them
#: without enforcing the targets, and the unit tests leave them alone. Once scored and
#: read they leave this list and become development data.
HELD_OUT: tuple[str, ...] = ()
#: The saved fixtures (tests/fixtures/screens, labelled in fixtures.yaml) and every set
#: not held out: the targets apply to these.
DEVELOPMENT = ("fixtures", *(name for name in SETS if name not in HELD_OUT))
FIXTURES = HERE.parent / "fixtures" / "screens"

WIDTH, HEIGHT = 1080, 2400
STATUS_BAR, NAV_BAR = 96, 130
LABELS_NONE = "none"
LAYOUTS = ("page", "dialog", "custom_dialog", "toast", "sheet", "snackbar", "list", "feed",
           "webview")
REQUIRED = ("id", "label", "stage", "lang", "layout")
KNOWN_KEYS = set(REQUIRED) | {"kind", "app", "title", "texts", "fields", "buttons", "links",
                              "checkbox", "rows", "posts", "tabs", "under", "toast",
                              "notification", "format", "note", "values"}


class SpecError(ValueError):
    """A spec that cannot be built; the message names the file and the screen."""


# --------------------------------------------------------------------------- the tree


@dataclass
class V:
    """One view of the hierarchy, before it is serialised."""

    cls: str
    text: str = ""
    rid: str = ""
    desc: str = ""
    clickable: bool = False
    focusable: bool = False
    scrollable: bool = False
    checkable: bool = False
    password: bool = False
    package: str | None = None
    bounds: tuple[int, int, int, int] = (0, 0, 0, 0)
    children: list[V] = field(default_factory=list)

    def add(self, *views: V) -> V:
        self.children.extend(views)
        return self


def _units(text: str) -> float:
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.55 for ch in text)


def _text_height(text: str, px: int, width: int) -> int:
    lines = max(1, math.ceil(_units(text) * px / max(width, 1)))
    return lines * int(px * 1.4) + 20


class _Ids:
    """Resource ids in the app's own namespace, picked per app so that different apps
    name the same view differently (as they do)."""

    def __init__(self, package: str, seed: int) -> None:
        self.package = package
        self.seed = seed

    def __call__(self, *names: str) -> str:
        name = names[self.seed % len(names)]
        return "" if not name else f"{self.package}:id/{name}"


class Builder:
    """Lays out one spec as a view tree and serialises it."""

    def __init__(self, spec: dict[str, Any], where: str) -> None:
        self.spec = spec
        self.where = where
        self.package = str(spec.get("app") or "com.example.app")
        digest = hashlib.sha256(str(spec["id"]).encode()).digest()
        self.seed = digest[0]
        self.ids = _Ids(self.package, self.seed)
        fmt = spec.get("format") or ("dump" if digest[1] % 2 else "uia2")
        if fmt not in ("dump", "uia2"):
            raise SpecError(f"{where}: format must be dump or uia2, not {fmt!r}")
        self.format = fmt

    # ------------------------------------------------------------------ pieces

    def _tv(self, text: str, rid: str = "", *, clickable: bool = False, px: int = 46,
            width: int = WIDTH - 120) -> tuple[V, int]:
        v = V("android.widget.TextView", text=text, rid=rid, clickable=clickable,
              focusable=clickable)
        return v, _text_height(text, px, width)

    def _toolbar(self, title: str | None, top: int) -> tuple[V, int]:
        bar = V(("androidx.appcompat.widget.Toolbar", "android.view.ViewGroup",
                 "android.widget.RelativeLayout")[self.seed % 3],
                rid=self.ids("toolbar", "title_bar", "action_bar", "top_bar"),
                bounds=(0, top, WIDTH, top + 160))
        back = V("android.widget.ImageButton", desc=self._lang("返回", "返回", "Navigate up"),
                 clickable=True, focusable=True, bounds=(0, top + 16, 128, top + 144))
        bar.add(back)
        if title:
            t = V("android.widget.TextView", text=title,
                  rid=self.ids("title", "tv_title", "toolbar_title", "title_text"),
                  bounds=(160, top + 40, WIDTH - 160, top + 120))
            bar.add(t)
        return bar, 160

    def _lang(self, hans: str, hant: str, en: str) -> str:
        lang = self.spec.get("lang")
        return hans if lang == "zh-Hans" else hant if lang == "zh-Hant" else en

    def _column(self, spec: dict[str, Any], top: int, bottom: int, *, scroll: bool = True
                ) -> V:
        """Texts, fields, checkbox, buttons and links stacked in a (scrolling) column."""
        inner = V("android.widget.LinearLayout",
                  rid=self.ids("content", "ll_content", "", "root_layout"))
        y = top + 40
        x1, x2 = 60, WIDTH - 60

        def place(v: V, h: int) -> None:
            nonlocal y
            v.bounds = (x1, y, x2, min(y + h, bottom))
            y += h + 28
            inner.add(v)

        for i, text in enumerate(_strings(spec.get("texts"), self.where, "texts")):
            rid = self.ids("tv_desc", "tv_tip", "content", "desc", "tv_notice", "message_tv")
            v, h = self._tv(text, rid if i == 0 else self.ids("tv_sub", "", "sub_content"))
            place(v, h)
        for i, hint in enumerate(_strings(spec.get("fields"), self.where, "fields")):
            values = spec.get("values") or []
            value = values[i] if i < len(values) else ""
            row = V("android.widget.LinearLayout", rid=self.ids("input_layout", "", "ll_input"))
            et = V("android.widget.EditText", text=value or hint,
                   rid=self.ids("et_input", "edit_text", "input")
                   + ("" if i == 0 else str(i + 1)),
                   clickable=True, focusable=True, password="密码" in hint or
                   "password" in hint.lower())
            row.add(et)
            place(row, 150)
            et.bounds = row.bounds
        box = spec.get("checkbox")
        if box:
            cb = V("android.widget.CheckBox", text=str(box), rid=self.ids("cb_agree", "checkbox",
                                                                          "agree_check"),
                   clickable=True, focusable=True, checkable=True)
            place(cb, _text_height(str(box), 36, WIDTH - 200))
        for i, label in enumerate(_strings(spec.get("buttons"), self.where, "buttons")):
            b = V("android.widget.Button" if self.seed % 4 else "android.widget.TextView",
                  text=label, rid=self.ids("btn_confirm", "btn_submit", "bt_next", "action")
                  + ("" if i == 0 else f"_{i}"), clickable=True, focusable=True)
            place(b, 150)
        links = _strings(spec.get("links"), self.where, "links")
        if links:
            holder = V("android.widget.LinearLayout", rid=self.ids("ll_other", "", "bottom"))
            w = (x2 - x1) // len(links)
            for i, label in enumerate(links):
                holder.add(V("android.widget.TextView", text=label, clickable=True,
                             focusable=True, bounds=(x1 + i * w, y, x1 + (i + 1) * w, y + 90)))
            place(holder, 90)
        inner.bounds = (0, top, WIDTH, max(y, top + 1))
        if not scroll:
            return inner
        sv = V("android.widget.ScrollView", rid=self.ids("scroll_view", "", "sv"),
               scrollable=y > bottom, bounds=(0, top, WIDTH, bottom))
        return sv.add(inner)

    def _tabs(self, spec: dict[str, Any]) -> V | None:
        tabs = _strings(spec.get("tabs"), self.where, "tabs")
        if not tabs:
            return None
        top = HEIGHT - NAV_BAR - 150
        bar = V("android.widget.LinearLayout", rid=self.ids("tab_bar", "bottom_nav",
                                                            "main_tab"),
                bounds=(0, top, WIDTH, HEIGHT - NAV_BAR))
        w = WIDTH // len(tabs)
        for i, label in enumerate(tabs):
            cell = V("android.widget.FrameLayout", clickable=True, focusable=True,
                     desc=label if self.seed % 2 else "",
                     bounds=(i * w, top, (i + 1) * w, HEIGHT - NAV_BAR))
            cell.add(V("android.widget.TextView", text=label,
                       bounds=(i * w + 20, top + 80, (i + 1) * w - 20, top + 140)))
            bar.add(cell)
        return bar

    def _rows(self, rows: list[Any], top: int, bottom: int) -> V:
        rv = V(("androidx.recyclerview.widget.RecyclerView", "android.widget.ListView",
                "androidx.recyclerview.widget.RecyclerView")[self.seed % 3],
               rid=self.ids("recycler_view", "list", "rv_setting", "listview"),
               scrollable=True, focusable=True, bounds=(0, top, WIDTH, bottom))
        y = top
        for i, row in enumerate(rows):
            cells = [str(c) for c in row] if isinstance(row, list) else [str(row)]
            if not cells or not all(cells):
                raise SpecError(f"{self.where}: rows[{i}] must be a text or a list of texts")
            h = 150 if _units(" ".join(cells)) < 28 else 220
            if y + h > bottom:
                break
            item = V(("android.widget.LinearLayout", "android.widget.RelativeLayout",
                      "android.view.ViewGroup")[(self.seed + i) % 3],
                     rid=self.ids("item_root", "ll_item", "setting_item"),
                     clickable=True, focusable=True, bounds=(0, y, WIDTH, y + h))
            item.add(V("android.widget.TextView", text=cells[0],
                       rid=self.ids("tv_title", "title", "item_title"),
                       bounds=(60, y + 30, 700, y + h - 30)))
            for extra in cells[1:]:
                item.add(V("android.widget.TextView", text=extra,
                           rid=self.ids("tv_value", "summary", "item_desc"),
                           bounds=(700, y + 30, WIDTH - 110, y + h - 30)))
            item.add(V("android.widget.ImageView", rid=self.ids("iv_arrow", "arrow", ""),
                       bounds=(WIDTH - 100, y + h // 2 - 20, WIDTH - 60, y + h // 2 + 20)))
            rv.add(item)
            y += h
        return rv

    def _posts(self, posts: list[Any], top: int, bottom: int) -> V:
        rv = V("androidx.recyclerview.widget.RecyclerView",
               rid=self.ids("feed_list", "recycler_view", "rv_feed"), scrollable=True,
               focusable=True, bounds=(0, top, WIDTH, bottom))
        y = top
        for i, post in enumerate(posts):
            if isinstance(post, str):
                post = {"text": post}
            if not isinstance(post, dict) or not post.get("text"):
                raise SpecError(f"{self.where}: posts[{i}] needs `text`")
            text = str(post["text"])
            h_text = _text_height(text, 44, WIDTH - 120)
            h = 120 + h_text + 110
            if y >= bottom:
                break
            card = V(("android.widget.LinearLayout", "android.view.ViewGroup",
                      "android.widget.FrameLayout")[(self.seed + i) % 3],
                     rid=self.ids("feed_item", "card_root", "item_layout"), clickable=True,
                     focusable=True, bounds=(0, y, WIDTH, min(y + h, bottom)))
            card.add(V("android.widget.ImageView", desc=self._lang("头像", "頭像", "Avatar"),
                       rid=self.ids("iv_avatar", "avatar", "user_icon"),
                       bounds=(40, y + 20, 140, y + 120)))
            if post.get("author"):
                card.add(V("android.widget.TextView", text=str(post["author"]),
                           rid=self.ids("tv_name", "user_name", "nickname"),
                           bounds=(160, y + 20, 800, y + 70)))
            if post.get("meta"):
                card.add(V("android.widget.TextView", text=str(post["meta"]),
                           rid=self.ids("tv_time", "time", "sub_info"),
                           bounds=(160, y + 70, 800, y + 110)))
            card.add(V("android.widget.TextView", text=text,
                       rid=self.ids("tv_content", "content", "post_text", "desc"),
                       bounds=(40, y + 120, WIDTH - 40, min(y + 120 + h_text, bottom))))
            counts = post.get("counts") or ["12", "3", "分享" if self.spec.get("lang") != "en"
                                            else "Share"]
            for j, c in enumerate(counts):
                card.add(V("android.widget.TextView", text=str(c), clickable=True,
                           rid=self.ids("tv_like", "like_count", "action")
                           + ("" if j == 0 else str(j)),
                           bounds=(40 + j * 300, y + h - 100, 300 + j * 300, y + h - 30)))
            rv.add(card)
            y += h + 20
        return rv

    def _webview(self, spec: dict[str, Any], top: int, bottom: int) -> V:
        wv = V("android.webkit.WebView", text=str(spec.get("title") or ""),
               scrollable=True, focusable=True, bounds=(0, top, WIDTH, bottom))
        root = V("android.view.View", bounds=(0, top, WIDTH, bottom))
        wv.add(root)
        y = top + 20
        as_desc = self.seed % 2 == 0
        for text in _strings(spec.get("texts"), self.where, "texts"):
            h = _text_height(text, 42, WIDTH - 80)
            root.add(V("android.view.View", text="" if as_desc else text,
                       desc=text if as_desc else "", bounds=(40, y, WIDTH - 40,
                                                              min(y + h, bottom))))
            y += h + 20
        for label in _strings(spec.get("buttons"), self.where, "buttons"):
            root.add(V("android.widget.Button", text=label, clickable=True, focusable=True,
                       bounds=(60, y, WIDTH - 60, y + 140)))
            y += 160
        for hint in _strings(spec.get("fields"), self.where, "fields"):
            root.add(V("android.widget.EditText", text=hint, clickable=True, focusable=True,
                       bounds=(60, y, WIDTH - 60, y + 140)))
            y += 160
        return wv

    # ------------------------------------------------------------------ screens

    def page(self, spec: dict[str, Any]) -> V:
        """The app's activity: toolbar, body (column, rows, posts or web content), tabs."""
        top = STATUS_BAR
        content = V("android.widget.FrameLayout", rid="android:id/content",
                    bounds=(0, top, WIDTH, HEIGHT - NAV_BAR))
        body = V(("android.widget.LinearLayout", "android.view.ViewGroup",
                  "android.widget.RelativeLayout")[self.seed % 3],
                 rid=self.ids("root", "container", "main_layout", ""),
                 bounds=(0, top, WIDTH, HEIGHT - NAV_BAR))
        content.add(body)
        y = top
        layout = spec.get("layout", "page")
        if (spec.get("title") and layout != "webview") or (spec.get("title") and self.seed % 2):
            bar, h = self._toolbar(str(spec["title"]), y)
            body.add(bar)
            y += h
        tabs = self._tabs(spec)
        bottom = HEIGHT - NAV_BAR - (150 if tabs else 0)
        if layout == "webview":
            body.add(self._webview(spec, y, bottom))
        else:
            has_column = any(spec.get(k) for k in ("texts", "fields", "buttons", "links",
                                                   "checkbox"))
            lists = spec.get("rows") or spec.get("posts")
            if has_column:
                col = self._column(spec, y, bottom if not lists else y + 700,
                                   scroll=not lists)
                body.add(col)
                y = col.bounds[3] if lists else bottom
            if spec.get("rows"):
                body.add(self._rows(list(spec["rows"]), y, bottom))
            if spec.get("posts"):
                body.add(self._posts(list(spec["posts"]), y, bottom))
        if tabs:
            body.add(tabs)
        return self._window(content)

    def _window(self, content: V, bounds: tuple[int, int, int, int] = (0, 0, WIDTH, HEIGHT)
                ) -> V:
        decor = V("android.widget.FrameLayout", bounds=bounds)
        lin = V("android.widget.LinearLayout", bounds=bounds)
        frame = V("android.widget.FrameLayout", rid=self.ids("action_bar_root", ""),
                  bounds=bounds)
        decor.add(lin.add(frame.add(content)))
        return decor

    def dialog(self, spec: dict[str, Any]) -> list[V]:
        """An AlertDialog: its own window, centred (what is behind is not in the dump)."""
        texts = _strings(spec.get("texts"), self.where, "texts")
        buttons = _strings(spec.get("buttons"), self.where, "buttons")
        inner_w = WIDTH - 2 * 80 - 120
        h_title = 110 if spec.get("title") else 0
        h_msg = sum(_text_height(t, 44, inner_w) for t in texts) + 40
        h = min(h_title + h_msg + 180, HEIGHT - 600)
        top = (HEIGHT - h) // 2
        x1, x2 = 80, WIDTH - 80
        panel = V("android.widget.LinearLayout", rid="android:id/parentPanel",
                  bounds=(x1, top, x2, top + h))
        y = top
        if spec.get("title"):
            tp = V("android.widget.LinearLayout", rid="android:id/topPanel",
                   bounds=(x1, y, x2, y + h_title))
            tp.add(V("android.widget.TextView", text=str(spec["title"]),
                     rid="android:id/alertTitle", bounds=(x1 + 60, y + 30, x2 - 60,
                                                          y + h_title)))
            panel.add(tp)
            y += h_title
        cp = V("android.widget.FrameLayout", rid="android:id/contentPanel",
               bounds=(x1, y, x2, y + h_msg))
        sv = V("android.widget.ScrollView", rid="android:id/scrollView",
               bounds=(x1, y, x2, y + h_msg))
        message = " ".join(texts) if self.spec.get("lang") == "en" else "".join(texts)
        if self.seed % 3 == 0 and len(texts) > 1:
            holder = V("android.widget.LinearLayout", bounds=(x1, y, x2, y + h_msg))
            yy = y
            for t in texts:
                th = _text_height(t, 44, inner_w)
                holder.add(V("android.widget.TextView", text=t, bounds=(x1 + 60, yy, x2 - 60,
                                                                          yy + th)))
                yy += th
            sv.add(holder)
        else:
            sv.add(V("android.widget.TextView", text=message, rid="android:id/message",
                     bounds=(x1 + 60, y + 20, x2 - 60, y + h_msg - 20)))
        panel.add(cp.add(sv))
        y += h_msg
        bp = V("android.widget.ScrollView", rid="android:id/buttonPanel",
               bounds=(x1, y, x2, top + h))
        bl = V("android.widget.LinearLayout", bounds=(x1, y, x2, top + h))
        names = ["android:id/button2", "android:id/button1"] if len(buttons) == 2 else [
            f"android:id/button{i + 1}" for i in range(len(buttons))]
        w = (x2 - x1) // max(len(buttons), 1)
        for i, (label, rid) in enumerate(zip(buttons, names, strict=False)):
            bl.add(V("android.widget.Button", text=label, rid=rid, clickable=True,
                     focusable=True, bounds=(x1 + i * w, y + 20, x1 + (i + 1) * w, top + h)))
        panel.add(bp.add(bl))
        content = V("android.widget.FrameLayout", rid="android:id/content",
                    bounds=(x1, top, x2, top + h))
        return [self._window(content.add(panel), (x1, top, x2, top + h))]

    def custom_dialog(self, spec: dict[str, Any]) -> list[V]:
        """An app-drawn dialog over the page in the same window (the page stays in the dump,
        under a dimmed overlay)."""
        under = self._under(spec) or self.page({"layout": "page"})
        texts = _strings(spec.get("texts"), self.where, "texts")
        buttons = _strings(spec.get("buttons"), self.where, "buttons")
        inner_w = WIDTH - 2 * 100 - 100
        h = (120 if spec.get("title") else 40) + sum(
            _text_height(t, 44, inner_w) for t in texts) + 200
        top = (HEIGHT - h) // 2
        mask = V("android.widget.FrameLayout", rid=self.ids("dialog_mask", "mask", "dim_bg"),
                 clickable=self.seed % 2 == 0, bounds=(0, 0, WIDTH, HEIGHT))
        box = V("android.widget.LinearLayout",
                rid=self.ids("dialog_root", "ll_dialog", "common_dialog", "popup_content"),
                bounds=(100, top, WIDTH - 100, top + h))
        y = top + 40
        if spec.get("title"):
            box.add(V("android.widget.TextView", text=str(spec["title"]),
                      rid=self.ids("tv_dialog_title", "dialog_title", "title"),
                      bounds=(150, y, WIDTH - 150, y + 80)))
            y += 100
        for t in texts:
            th = _text_height(t, 44, inner_w)
            box.add(V("android.widget.TextView", text=t,
                      rid=self.ids("tv_dialog_content", "dialog_message", "content", "msg"),
                      bounds=(150, y, WIDTH - 150, y + th)))
            y += th
        row = V("android.widget.LinearLayout", bounds=(100, top + h - 150, WIDTH - 100,
                                                       top + h))
        w = (WIDTH - 200) // max(len(buttons), 1)
        for i, label in enumerate(buttons):
            row.add(V("android.widget.TextView", text=label, clickable=True, focusable=True,
                      rid=self.ids("tv_cancel", "btn_left", "negative")
                      if i == 0 and len(buttons) > 1 else
                      self.ids("tv_confirm", "btn_right", "positive"),
                      bounds=(100 + i * w, top + h - 150, 100 + (i + 1) * w, top + h)))
        box.add(row)
        mask.add(box)
        _content_of(under).add(mask)
        return [under]

    def sheet(self, spec: dict[str, Any]) -> list[V]:
        """A bottom sheet (login options, share menus) over the page."""
        under = self._under(spec) or self.page({"layout": "page"})
        col = self._column(spec, HEIGHT - NAV_BAR - 1100, HEIGHT - NAV_BAR, scroll=False)
        sheet = V("android.widget.FrameLayout",
                  rid="com.google.android.material:id/design_bottom_sheet"
                  if self.seed % 2 else self.ids("bottom_sheet", "sheet_root"),
                  bounds=(0, HEIGHT - NAV_BAR - 1100, WIDTH, HEIGHT - NAV_BAR))
        if spec.get("title"):
            v, h = self._tv(str(spec["title"]), self.ids("sheet_title", "title", "tv_title"))
            v.bounds = (60, HEIGHT - NAV_BAR - 1080, WIDTH - 60, HEIGHT - NAV_BAR - 1080 + h)
            sheet.add(v)
        if spec.get("rows"):
            sheet.add(self._rows(list(spec["rows"]), HEIGHT - NAV_BAR - 900,
                                 HEIGHT - NAV_BAR))
        sheet.add(col)
        coordinator = V("androidx.coordinatorlayout.widget.CoordinatorLayout",
                        rid=self.ids("coordinator", "container"), bounds=(0, 0, WIDTH, HEIGHT))
        coordinator.add(V("android.view.View", rid=self.ids("touch_outside", "outside"),
                          clickable=True, bounds=(0, 0, WIDTH, HEIGHT - NAV_BAR - 1100)))
        coordinator.add(sheet)
        return [under, self._window(coordinator)]

    def _under(self, spec: dict[str, Any]) -> V | None:
        under = spec.get("under")
        if under is None:
            return None
        if not isinstance(under, dict):
            raise SpecError(f"{self.where}: `under` must be a mapping (a page spec)")
        bad = set(under) - KNOWN_KEYS
        if bad:
            raise SpecError(f"{self.where}: unknown key(s) under `under`: {sorted(bad)}")
        return self.page({"layout": under.get("layout", "page"), "lang": spec.get("lang"),
                          **under})

    def toast(self, text: str) -> V:
        return V("android.widget.Toast", text=text, bounds=(180, 1900, 900, 2020))

    def snackbar(self, text: str) -> V:
        bar = V("android.widget.FrameLayout", rid="com.google.android.material:id/snackbar_"
                "layout" if self.seed % 2 else self.ids("snackbar", "tip_bar"),
                bounds=(40, 2000, WIDTH - 40, 2160))
        bar.add(V("android.widget.TextView", text=text,
                  rid="com.google.android.material:id/snackbar_text",
                  bounds=(80, 2020, WIDTH - 300, 2140)))
        return bar

    def windows(self) -> list[V]:
        spec = self.spec
        layout = spec["layout"]
        if layout not in LAYOUTS:
            raise SpecError(f"{self.where}: layout {layout!r} is not one of {', '.join(LAYOUTS)}")
        if layout == "dialog":
            return self.dialog(spec)
        if layout == "custom_dialog":
            return self.custom_dialog(spec)
        if layout == "sheet":
            return self.sheet(spec)
        if layout in ("toast", "snackbar"):
            texts = _strings(spec.get("texts"), self.where, "texts")
            if len(texts) != 1:
                raise SpecError(f"{self.where}: a {layout} has exactly one text in `texts`")
            page = self._under(spec) or self.page({"layout": "page", "title": spec.get("title")})
            if layout == "toast":
                return [page, self.toast(texts[0])]
            _content_of(page).add(self.snackbar(texts[0]))
            return [page]
        out = [self.page(spec)]
        if spec.get("toast"):
            out.append(self.toast(str(spec["toast"])))
        return out

    # ------------------------------------------------------------------ serialising

    def system_windows(self) -> list[V]:
        bar = V("android.widget.FrameLayout", rid="com.android.systemui:id/status_bar",
                package="com.android.systemui", bounds=(0, 0, WIDTH, STATUS_BAR))
        bar.add(V("android.widget.TextView", text="10:24", rid="com.android.systemui:id/clock",
                  package="com.android.systemui", bounds=(40, 0, 180, STATUS_BAR)))
        bar.add(V("android.widget.LinearLayout", rid="com.android.systemui:id/system_icons",
                  desc="4G, signal full. Battery 76 percent.", package="com.android.systemui",
                  bounds=(860, 0, 1040, STATUS_BAR)))
        nav = V("android.widget.FrameLayout", rid="com.android.systemui:id/navigation_bar_frame",
                package="com.android.systemui", bounds=(0, HEIGHT - NAV_BAR, WIDTH, HEIGHT))
        for i, label in enumerate(("Back", "Home", "Overview")):
            nav.add(V("android.widget.ImageView", desc=label, clickable=True,
                      rid=f"com.android.systemui:id/{label.lower()}",
                      package="com.android.systemui",
                      bounds=(100 + i * 320, HEIGHT - NAV_BAR, 300 + i * 320, HEIGHT)))
        out = [bar, nav]
        note = self.spec.get("notification")
        if note:
            heads = V("android.widget.FrameLayout", package="com.android.systemui",
                      rid="com.android.systemui:id/expandableNotificationRow",
                      bounds=(20, 100, WIDTH - 20, 360))
            heads.add(V("android.widget.TextView", text=self._lang("支付宝", "支付寶", "Alipay"),
                        rid="android:id/app_name_text", package="com.android.systemui",
                        bounds=(60, 120, 500, 170)))
            heads.add(V("android.widget.TextView", text=str(note), rid="android:id/text",
                        package="com.android.systemui", bounds=(60, 180, WIDTH - 60, 330)))
            out.append(heads)
        return out

    def xml(self) -> str:
        windows = self.windows() + self.system_windows()
        lines = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"]
        comment = self.spec.get("note") or f"{self.spec['label']} ({self.spec['lang']})"
        lines.append(f"<!-- Corpus screen {self.spec['id']}: written for the classifier's "
                     f"corpus, not a device dump. {_comment(str(comment))} -->")
        if self.format == "uia2":
            lines.append(f'<hierarchy index="0" class="hierarchy" rotation="0" width="{WIDTH}" '
                         f'height="{HEIGHT}">')
        else:
            lines.append('<hierarchy rotation="0">')
        for i, w in enumerate(windows):
            lines.extend(self._serialise(w, i, 1))
        lines.append("</hierarchy>")
        return "\n".join(lines) + "\n"

    def _serialise(self, v: V, index: int, depth: int) -> Iterator[str]:
        pkg = v.package or self.package
        x1, y1, x2, y2 = v.bounds
        attrs = [("index", str(index)), ("text", v.text), ("resource-id", v.rid),
                 ("class", v.cls), ("package", pkg), ("content-desc", v.desc),
                 ("checkable", _b(v.checkable)), ("checked", "false"),
                 ("clickable", _b(v.clickable)), ("enabled", "true"),
                 ("focusable", _b(v.focusable)), ("focused", "false"),
                 ("long-clickable", "false"), ("password", _b(v.password)),
                 ("scrollable", _b(v.scrollable)), ("selected", "false"),
                 ("bounds", f"[{x1},{y1}][{x2},{y2}]")]
        if self.format == "uia2":
            attrs.append(("displayed", "true"))
            tag = v.cls
        else:
            attrs.append(("visible-to-user", "true"))
            tag = "node"
        pad = "  " * depth
        head = f"{pad}<{tag} " + " ".join(f"{k}={quoteattr(val)}" for k, val in attrs)
        if not v.children:
            yield head + " />"
            return
        yield head + ">"
        for i, child in enumerate(v.children):
            yield from self._serialise(child, i, depth + 1)
        yield f"{pad}</{tag}>"


def _b(value: bool) -> str:
    return "true" if value else "false"


def _comment(text: str) -> str:
    return text.replace("--", "- -")


def _content_of(window: V) -> V:
    """The ``android:id/content`` frame of a page window."""
    stack = [window]
    while stack:
        v = stack.pop()
        if v.rid == "android:id/content":
            return v
        stack.extend(v.children)
    return window


def _strings(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    raise SpecError(f"{where}: `{key}` must be a text or a list of texts")


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Entry:
    """One labelled screen of the corpus."""

    id: str
    label: str
    stage: str
    lang: str
    kind: str
    xml_file: Path


def load_specs(spec_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every spec of a set, checked (required keys, known keys, language, unique ids)."""
    out: list[tuple[Path, dict[str, Any]]] = []
    seen: dict[str, Path] = {}
    for path in sorted(spec_dir.glob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        screens = doc.get("screens") if isinstance(doc, dict) else None
        if not isinstance(screens, list):
            raise SpecError(f"{path}: needs a top-level `screens:` list")
        for i, spec in enumerate(screens):
            where = f"{path.name}: screens[{i}]"
            if not isinstance(spec, dict):
                raise SpecError(f"{where}: must be a mapping")
            missing = [k for k in REQUIRED if not spec.get(k)]
            if missing:
                raise SpecError(f"{where} ({spec.get('id')}): missing {', '.join(missing)}")
            bad = set(spec) - KNOWN_KEYS
            if bad:
                raise SpecError(f"{where} ({spec['id']}): unknown key(s) {sorted(bad)}")
            if spec["lang"] not in ("zh-Hans", "zh-Hant", "en"):
                raise SpecError(f"{where}: lang must be zh-Hans, zh-Hant or en")
            sid = str(spec["id"])
            if sid in seen:
                raise SpecError(f"{path.name}: id {sid!r} is also used in {seen[sid].name}")
            seen[sid] = path
            out.append((path, spec))
    return out


def entries(set_name: str = "corpus") -> list[Entry]:
    spec_dir, out_dir = SETS[set_name]
    return [Entry(str(spec["id"]), str(spec["label"]), str(spec["stage"]), str(spec["lang"]),
                  str(spec.get("kind") or ("barrier" if spec["label"] != LABELS_NONE
                                           else "ordinary")),
                  out_dir / f"{spec['id']}.xml")
            for _path, spec in load_specs(spec_dir)]


def labelled(set_name: str) -> list[LabelledScreen]:
    """A set's screens with their labels, for scoring (``fixtures``: the saved screens)."""
    if set_name == "fixtures":
        doc = yaml.safe_load((HERE / "fixtures.yaml").read_text(encoding="utf-8"))
        return [LabelledScreen(FIXTURES / f["file"], f["label"], Stage(f["stage"]),
                               kind="fixture") for f in doc["screens"]]
    return [LabelledScreen(e.xml_file, e.label, Stage(e.stage), e.lang, e.kind)
            for e in entries(set_name)]


def render_all(set_name: str) -> dict[Path, str]:
    spec_dir, out_dir = SETS[set_name]
    return {out_dir / f"{spec['id']}.xml": Builder(spec, f"{path.name}: {spec['id']}").xml()
            for path, spec in load_specs(spec_dir)}


def build(set_names: Iterable[str], check: bool) -> int:
    stale: list[str] = []
    for name in set_names:
        rendered = render_all(name)
        out_dir = SETS[name][1]
        out_dir.mkdir(parents=True, exist_ok=True)
        existing = set(out_dir.glob("*.xml"))
        for path, xml in rendered.items():
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if old != xml:
                stale.append(str(path.relative_to(HERE)))
                if not check:
                    path.write_text(xml, encoding="utf-8")
        for orphan in sorted(existing - set(rendered)):
            stale.append(f"{orphan.relative_to(HERE)} (no spec)")
            if not check:
                orphan.unlink()
        print(f"{name}: {len(rendered)} screens", file=sys.stderr)
    if check and stale:
        print("out of date (run python tests/corpus/build.py):\n  " + "\n  ".join(stale),
              file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="fail if any XML is out of date")
    p.add_argument("--set", choices=sorted(SETS), action="append", dest="sets")
    args = p.parse_args(argv)
    try:
        return build(args.sets or sorted(SETS), args.check)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
