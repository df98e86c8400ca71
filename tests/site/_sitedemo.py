"""What the report-site tests share besides fixtures: the demo run behind the rendered
site and the record of the site written from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The simulator run behind the rendered site: few apps and countries, every kind of page.
DEMO_APPS = ("demo-zhenming", "demo-dialcode", "demo-gatedpost", "demo-quietsms")
DEMO_COUNTRIES = ("DE", "HK", "AE")


@dataclass(frozen=True)
class DemoSite:
    """A site written by `harness report --out DIR/ --data DIR` from a demo run."""

    db: Path
    site: Path
    printed: str
