"""The home screen shown when no app is in the foreground (``com.android.launcher3``).

Each installed app is an icon whose tap launches it, so a scenario author watching the
screenshots sees the same start state as on an emulator. The harness's rules ignore
this package: nothing on a launcher is a finding about an app.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.sim.apps.base import SimApp
from harness.sim.ui import TEXT_VIEW, Node, column, grid

LAUNCHER_PACKAGE = "com.android.launcher3"


def launcher_content(apps: Mapping[str, SimApp]) -> Node:
    """The app grid; an icon's action is ``launch:<package>``."""
    icons = [
        Node(
            TEXT_VIEW,
            text=app.label,
            content_desc=app.label,
            resource_id=f"{LAUNCHER_PACKAGE}:id/icon",
            action=f"launch:{package}",
            key=f"app:{package}",
            clickable=True,
            focusable=True,
            long_clickable=True,
            style="icon",
        )
        for package, app in apps.items()
    ]
    return column(
        [grid(icons, rid=f"{LAUNCHER_PACKAGE}:id/apps_list")],
        rid=f"{LAUNCHER_PACKAGE}:id/workspace",
    )
