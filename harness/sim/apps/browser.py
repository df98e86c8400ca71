"""The simulated device's browser: shows what a URL returns over the device's own route.

``mobile: deepLink`` with an http(s) URL opens it here, as it opens Chrome on a phone.
The page is fetched through the device's network route (the proxy it was given, unless
``harness:deviceRoute`` is ``direct``: a VPN app that is not connected), so the harness's
device-route check reads what a real browser on the device would see.
"""

from __future__ import annotations

from harness.sim.apps.base import AppContext
from harness.sim.ui import Node, column, text_view

BROWSER_PACKAGE = "com.android.chrome"


class Browser:
    """A one-page browser: the last page it was sent to, as text."""

    package = BROWSER_PACKAGE
    label = "Chrome"

    def __init__(self) -> None:
        self.running = False
        self.url = ""
        self.body = ""
        self._token = 0

    def open(self, url: str, body: str) -> None:
        self.url, self.body = url, body
        self.running = True
        self._token += 1

    def start(self, ctx: AppContext) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def clear(self) -> None:
        self.url, self.body = "", ""

    def view_token(self) -> str:
        return str(self._token)

    def content(self, ctx: AppContext) -> Node:
        page = Node("android.webkit.WebView", resource_id=f"{BROWSER_PACKAGE}:id/page",
                    children=[text_view(self.body or "about:blank")])
        return column([text_view(self.url, rid=f"{BROWSER_PACKAGE}:id/url_bar"), page])

    def tap(self, action: str, ctx: AppContext) -> None:
        return None

    def type_text(self, field: str, text: str, ctx: AppContext) -> None:
        return None

    def back(self, ctx: AppContext) -> bool:
        self.running = False
        return False
