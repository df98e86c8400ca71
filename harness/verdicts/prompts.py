"""What kind of text each visible string of a screen is, so that rules read prompts only.

An app says "no" in a prompt: an alert dialog's title and message, a toast, an error
label, a page's title, a short notice, a field's hint. The same words also appear where
they demand nothing: a privacy policy's paragraphs, the rows of a settings list ("实名认证
已认证"), a menu or a picker, the posts of a feed, the label of a button that merely
offers something ("刷脸登录"). The screen parser tells them apart from the hierarchy
alone, without knowing the app:

- ``system``: status bar, notifications, the system's permission dialogs (never read);
- ``field``: an input's text (its hint while empty, as Android reports it);
- ``toast``: ``android.widget.Toast`` and snackbars;
- ``control``: a button, a checkbox, a tab, anything tappable smaller than a third of the
  screen, and the texts inside such a tappable row;
- ``item``: a row of a list, menu, picker or settings page (a collection view with several
  entries, or several repeated tappable rows), and ``content``: a long text in such a list
  (a feed's post, a comment, a search result);
- ``consent``: the texts of a consent dialog or page (one that cites a privacy policy or
  terms and offers to agree);
- ``paragraph``: a long text (a policy, an article), by a length that CJK and Latin
  scripts reach at about the same amount of meaning, and every text of a document page:
  a privacy policy, terms, a help-centre article or FAQ (a page titled so, or whose title
  is a question), which explains rules and demands nothing of the user;
- ``dialog``: a modal's title and message (``android:id/alertTitle``, ``message``, a
  window smaller than the screen, a ``dialog`` / ``popup`` container);
- ``title``: a page's title (a toolbar, a ``title`` resource id);
- ``notice``: every other short text of the app (page bodies, error labels, banners).

Rules read ``PROMPT_ROLES`` by default. Each text is split into sentences: a rule's
concepts must meet in one sentence, and what cancels them (an offer, a notice, a
description of data collection) is looked for in the same sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache

from lxml import etree

from harness.verdicts.screen import SYSTEM_DIALOG_PACKAGES, SYSTEM_PACKAGES, Node, Screen


class Role(StrEnum):
    SYSTEM = "system"
    FIELD = "field"
    TOAST = "toast"
    CONTROL = "control"
    ITEM = "item"
    CONTENT = "content"
    CONSENT = "consent"
    PARAGRAPH = "paragraph"
    DIALOG = "dialog"
    TITLE = "title"
    NOTICE = "notice"


#: The roles barrier rules read unless a rule says otherwise.
PROMPT_ROLES = frozenset({Role.DIALOG, Role.TOAST, Role.TITLE, Role.NOTICE, Role.FIELD})

#: A text heavier than this is a paragraph: a CJK character weighs 2, anything else 1, so
#: the limit is about 200 Chinese characters or 400 Latin ones.
PARAGRAPH_WEIGHT = 400
#: A tappable ancestor covering more than this share of the screen is a backdrop (a
#: dimmed overlay that closes a dialog), not a control.
CONTROL_MAX_SHARE = 0.34

_COLLECTIONS = re.compile(r"(RecyclerView|ListView|GridView|AbsListView|ExpandableListView"
                          r"|ViewPager|Spinner|NumberPicker|TabLayout|TabWidget"
                          r"|BottomNavigationView|NavigationView)$")
_CONTROLS = re.compile(r"(Button|CheckBox|CheckedTextView|RadioButton|Switch|ToggleButton"
                       r"|Chip|Tab|ImageButton)$")
_MODAL_IDS = re.compile(r"(^android:id/(parentPanel|contentPanel|topPanel|alertTitle|message|"
                        r"custom|customPanel)$)|(dialog|popup|popwindow|modal|alert)",
                        re.IGNORECASE)
_TITLE_IDS = re.compile(r"(^|[:/_])(title|alertTitle|header|headline|toolbar_title|"
                        r"action_bar_title|tv_title|title_text|page_title)$", re.IGNORECASE)
_TOAST_IDS = re.compile(r"(snackbar_text|toast|tips?_text|tv_tips?|tip_view)", re.IGNORECASE)
_TOOLBARS = re.compile(r"(Toolbar|ActionBar)")
_POLICY = re.compile(r"隐私|隱私|用户协议|用戶協議|使用者協議|服务协议|服務協議|服务条款|服務條款|"
                     r"使用条款|使用條款|个人信息保护|個人資料|个人信息|個人信息|privacy|terms of "
                     r"(service|use)|user agreement|terms and conditions", re.IGNORECASE)
_AGREE = re.compile(r"^(我)?(同意|接受|已阅读并同意|已閱讀並同意|知道了并同意)|^(i )?(agree|accept)"
                    r"|同意并|同意並", re.IGNORECASE)
_DECLINE = re.compile(r"不同意|拒绝|拒絕|暂不同意|暫不同意|^(disagree|decline|reject|do not agree|"
                      r"don't agree)", re.IGNORECASE)
#: Marks of a document page (a policy, terms, a help-centre article): in its title, or
#: anywhere among its texts for the strongest ones.
_DOC_TITLE = re.compile(
    r"隐私|隱私|私隱|协议|協議|条款|條款|政策|指引|指南|规范|規範|公约|公約|"
    r"帮助中心|幫助中心|客服中心|支持中心|支援中心|服务中心|服務中心|常见问题|常見問題|小贴士|小貼士|"
    r"(security|safety|account) tips|support cent(er|re)|"
    r"privacy|terms|policy|guidelines|faq|agreement|"
    r"^(帮助|幫助)(中心|与反馈|與反饋|文档|文檔)?$|^(客服|反馈|反饋)|"
    r"^(help|support)(\s*(&|and)\s*\w+|\s+cent(er|re)|\s*$|\s*[:-])|"
    r"(?<![友请請让讓找])(帮助|幫助)$|"
    r"(帮助与反馈|幫助與反饋|(?<!\bto )help|support|help cent(er|re))$", re.IGNORECASE)
#: A heading that asks (a help article's title), unless the page is a form being filled in
#: (a question being answered, a search).
_DOC_QUESTION = re.compile(
    r"如何|怎么|怎麼|怎樣|怎样|为什么|為什麼|為甚麼|为甚么|点解|點解|为何|為何|什么是|什麼是|"
    r"^(how|why|what)\b|[?？]\s*$", re.IGNORECASE)
_DOC_MARK = re.compile(
    r"帮助中心|幫助中心|客服中心|常见问题|常見問題|热门问题|熱門問題|"
    r"help cent(er|re)|faq|更新日期|生效日期|last updated|effective date", re.IGNORECASE)
#: A button that publishes what the user wrote (an answer, a post, a comment).
_PUBLISH = re.compile(r"^(发布|發佈|發布|发表|發表|提交回答|回答|发送|發送|post|publish|reply|"
                      r"send|submit answer|answer)$", re.IGNORECASE)
#: Punctuation inside a text that makes it a sentence of the body, not a heading.
_BODY_PUNCT = re.compile(r"[。，,！!；;：:]")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])|(?<=\.)(?=\s|$)")


def weight(text: str) -> int:
    """Length in Latin-character units: a CJK character counts 2."""
    cjk = len(_CJK.findall(text))
    return 2 * cjk + (len(text) - cjk)


_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


@lru_cache(maxsize=65_536)
def normalize(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII, ``，`` stays a CJK comma after
    folding to ``,``), one space for any run of whitespace, no zero-width characters.
    Remembered: a screen's texts come back on every read."""
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


_CLAUSE_END = re.compile(r"(?<=[,:，：])\s*|\s+-\s+")


def sentences(text: str) -> list[str]:
    """The sentences of a normalized text (a lone text without end mark is one sentence)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]


def clauses(sentence: str) -> list[str]:
    """The clauses of a sentence: split at commas and colons."""
    parts = [p.strip() for p in _CLAUSE_END.split(sentence)]
    return [p for p in parts if p] or [sentence]


@dataclass(frozen=True)
class TextBlock:
    """One visible text of the screen, with what kind of text it is and why."""

    node: Node
    text: str
    role: Role
    why: str

    @cached_property
    def sentences(self) -> list[str]:
        return sentences(self.text)

    @cached_property
    def clauses(self) -> list[list[str]]:
        """The clauses of each sentence."""
        return [clauses(s) for s in self.sentences]

    @property
    def is_prompt(self) -> bool:
        return self.role in PROMPT_ROLES


class PromptReader:
    """Assigns a role to every visible text of one screen (computed once per screen)."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        w, h = screen.size
        self.screen_area = max(w * h, 1)
        # keyed by the element itself: a key keeps lxml's proxy (and so its identity) alive
        self._consent_scopes: dict[etree._Element, bool] = {}
        self._document_windows: dict[etree._Element, bool] = {}
        self._collections: dict[etree._Element, tuple[str | None, tuple[Node, ...]]] = {}
        self._texted: dict[etree._Element, bool] = {}

    def blocks(self) -> list[TextBlock]:
        out: list[TextBlock] = []
        seen: set[tuple[int, str]] = set()
        app = set(self.screen.app_nodes())
        for node in self.screen.nodes():
            if not node.displayed:
                continue
            for raw in (node.text, node.content_desc):
                text = normalize(raw)
                if not text or (id(node.element), text) in seen:
                    continue
                seen.add((id(node.element), text))
                if node not in app:
                    out.append(TextBlock(node, text, Role.SYSTEM, "system chrome or another "
                                         "app's node"))
                    continue
                role, why = self.role(node, text)
                out.append(TextBlock(node, text, role, why))
        return out

    # ------------------------------------------------------------------ the decision

    def role(self, node: Node, text: str) -> tuple[Role, str]:
        if node.package in SYSTEM_PACKAGES | SYSTEM_DIALOG_PACKAGES:
            return Role.SYSTEM, f"package {node.package}"
        cls = node.cls
        if cls.endswith("EditText") or cls.endswith("AutoCompleteTextView"):
            return Role.FIELD, "an input field"
        if not cls.endswith("Toast") and _TOAST_IDS.search(node.resource_id) and \
                self._consent(node):  # a "tips" text of a consent sheet is consent text
            return Role.CONSENT, "in a consent dialog or page (cites a policy, offers to agree)"
        if cls.endswith("Toast") or _TOAST_IDS.search(node.resource_id):
            if (self._screen_is_document() if cls.endswith("Toast") else self._document(node)):
                return Role.PARAGRAPH, "a toast over a document page"
            return Role.TOAST, "a toast or snackbar"
        listed = self._in_list(node)
        if listed is not None:
            if weight(text) > 120 or listed == "feed":
                return Role.CONTENT, f"a long text in a list ({listed})"
            return Role.ITEM, f"a row of a list ({listed})"
        if self._consent(node):
            return Role.CONSENT, "in a consent dialog or page (cites a policy, offers to agree)"
        control = self._control(node)
        if control:
            return Role.CONTROL, control
        if weight(text) > PARAGRAPH_WEIGHT:
            return Role.PARAGRAPH, f"a long text ({weight(text)} > {PARAGRAPH_WEIGHT})"
        modal = self._modal(node)
        if not modal and self._document(node):
            return Role.PARAGRAPH, "on a document page (a policy, terms or help article)"
        if modal:
            return Role.DIALOG, "in a dialog"
        if self._title(node):
            return Role.TITLE, "a title"
        return Role.NOTICE, "a short text of the app"

    def _control(self, node: Node) -> str | None:
        if _CONTROLS.search(node.cls):
            return f"a {node.cls.rsplit('.', 1)[-1]}"
        for n in (node, *node.ancestors()):
            if n.clickable:
                share = n.area / self.screen_area
                if share <= CONTROL_MAX_SHARE:
                    return "tappable" if n is node else "inside a tappable element"
                return None
        return None

    def _in_list(self, node: Node) -> str | None:
        """"list" or "feed" when the node is an entry of a collection, else None."""
        child = node
        for a in node.ancestors():
            kind, rows = self._collection(a)
            if kind is not None:
                return kind
            if child in rows:
                return "list"
            child = a
        return None

    def _collection(self, a: Node) -> tuple[str | None, tuple[Node, ...]]:
        """What ``a`` makes of its entries, once per node: ("feed" or "list", ()) for a
        collection view with two or more entries; else (None, its rows) where three or
        more tappable containers with text are rows of a list."""
        found = self._collections.get(a.element)
        if found is None:
            if _COLLECTIONS.search(a.cls):
                entries = [c for c in a.children() if self._has_text(c)]
                kind = ("feed" if _feed_like(entries) else "list") if len(entries) >= 2 \
                    else None
                found = (kind, ())
            else:
                rows = tuple(c for c in a.children() if c.clickable and self._has_text(c)
                             and _is_container(c))
                found = (None, rows if len(rows) >= 3 else ())
            self._collections[a.element] = found
        return found

    def _has_text(self, n: Node) -> bool:
        known = self._texted.get(n.element)
        if known is None:
            known = self._texted[n.element] = _has_text(n)
        return known

    def _screen_is_document(self) -> bool:
        """Whether the app's main window (the largest) is a document page."""
        windows = [self.screen.node(el) for el in self.screen.root if isinstance(el.tag, str)]
        app = [w for w in windows if w.package not in SYSTEM_PACKAGES | SYSTEM_DIALOG_PACKAGES
               and not w.cls.endswith("Toast")]
        if not app:
            return False
        main = max(app, key=lambda w: w.area)
        return any(self._document(n) for n in (main, *main.descendants()) if n.label)

    def _document(self, node: Node) -> bool:
        """Whether the node's window is a document page: titled as a policy, terms or help
        article (or with a question as its title), or carrying a help-centre mark."""
        window = node.window()
        key = window.element
        if key not in self._document_windows:
            titles: list[str] = []
            marks = False
            first_texts: list[str] = []
            field = publish = False  # a field and a publish button: the user is writing
            for n in (window, *window.descendants()):
                label = normalize(n.label)
                if n.cls.endswith("EditText") and n.text and n.text != n.attr("hint") \
                        and not self._modal(n):
                    field = True
                if (n.clickable or _CONTROLS.search(n.cls)) and _PUBLISH.search(label):
                    publish = True
                if not label or n.clickable or _CONTROLS.search(n.cls):
                    continue
                if self._modal(n):
                    continue
                if self._title(n) or (n.cls.endswith("WebView") and n.text):
                    titles.append(label)
                if len(first_texts) < 2 and not n.cls.endswith("EditText"):
                    first_texts.append(label)
                marks = marks or bool(_DOC_MARK.search(label))
            writing = field and publish
            heads = titles + [t for t in first_texts[:2]
                              if not _BODY_PUNCT.search(t.rstrip("?？ "))]
            self._document_windows[key] = marks or any(
                (_DOC_TITLE.search(t) or (_DOC_QUESTION.search(t) and not writing))
                and weight(t) <= 60 for t in heads)
        return self._document_windows[key]

    def _consent(self, node: Node) -> bool:
        scope = modal_scope(node)
        key = scope.element
        if key not in self._consent_scopes:
            texts = [normalize(n.label) for n in (scope, *scope.descendants()) if n.label]
            controls = [t for n, t in ((n, normalize(n.label))
                                       for n in (scope, *scope.descendants()))
                        if t and (n.clickable or _CONTROLS.search(n.cls))]
            cites = any(_POLICY.search(t) for t in texts)
            agree = any(_AGREE.search(t) for t in controls)
            decline = any(_DECLINE.search(t) for t in controls)
            in_modal = scope != node.window()
            self._consent_scopes[key] = cites and agree and (decline or in_modal)
        return self._consent_scopes[key]

    def _modal(self, node: Node) -> bool:
        if any(is_modal_root(n) for n in (node, *node.ancestors())):
            return True
        window = node.window()
        return 0 < window.area < 0.8 * self.screen_area and window is not node

    def _title(self, node: Node) -> bool:
        if _TITLE_IDS.search(node.resource_id):
            return True
        return any(_TOOLBARS.search(a.cls) for a in node.ancestors())


def is_modal_root(n: Node) -> bool:
    """Whether ``n`` is the container of a dialog or popup (by its id or class)."""
    return bool(_MODAL_IDS.search(n.resource_id)) or "Dialog" in n.cls or \
        "PopupWindow" in n.cls


def modal_scope(node: Node) -> Node:
    """The outermost dialog or popup container holding ``node`` inside its window, else
    the window itself (a dialog drawn as a window of its own)."""
    window = node.window()
    outer = [a for a in node.ancestors() if is_modal_root(a) and a != window]
    return outer[-1] if outer else window


def _has_text(n: Node) -> bool:
    return bool(n.label.strip()) or any(d.label.strip() for d in n.descendants())


def _is_container(n: Node) -> bool:
    return bool(n.children()) or n.cls.endswith(("Layout", "ViewGroup", "View"))


def _feed_like(entries: Iterable[Node]) -> bool:
    """Entries that carry long texts (posts, comments) rather than short labels."""
    longest = [max((weight(normalize(d.label)) for d in (e, *e.descendants()) if d.label),
                   default=0) for e in entries]
    return sum(1 for w in longest if w > 60) >= 1 and len(longest) >= 2


def read_prompts(screen: Screen) -> list[TextBlock]:
    """Every visible text of ``screen`` with its role (cached on the screen)."""
    cached: list[TextBlock] | None = getattr(screen, "_prompt_blocks", None)
    if cached is None:
        cached = PromptReader(screen).blocks()
        screen._prompt_blocks = cached  # type: ignore[attr-defined]
    return cached
