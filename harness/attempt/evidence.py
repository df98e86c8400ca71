"""Evidence: where each step's page source and screenshot go, without secrets.

A sink receives each step as it starts and ends; ``StoreSink`` writes it to the store at
once (one transaction per step), so a crash loses at most the step in progress.

A screenshot of a sign-up screen shows the phone number typed into it and the SMS code.
Before evidence is stored, every element whose text contains a secret is found in the
page source taken with the screenshot, and its bounds are painted over in the PNG. The
page source itself is scrubbed of the same values.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any, Protocol

from lxml import etree
from PIL import Image, ImageDraw

from harness.spec.steps import Step
from harness.storage.store import Store
from harness.support.secrets import SecretScrubber


class EvidenceSink(Protocol):
    """Receives each step's start and end with its evidence (page source, screenshot) and
    the candidates seen while the step's flow went on."""

    def step_started(self, index: int, step: Step, description: str) -> None: ...

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None,
                      observations: list[dict[str, Any]] | None = None) -> None: ...


class NullSink:
    def step_started(self, index: int, step: Step, description: str) -> None:
        return None

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None,
                      observations: list[dict[str, Any]] | None = None) -> None:
        return None


class StoreSink:
    """Writes each step, with its evidence, to the store as soon as it ends.

    One transaction per step; the measurement row itself was written when the attempt
    started, so a crash loses at most the step in progress.
    """

    def __init__(self, store: Store, run_id: str, mid: str, first_index: int = 0) -> None:
        self.store = store
        self.run_id = run_id
        self.mid = mid
        #: step indices continue after the steps the attempt recorded itself
        self.first_index = first_index
        self._started: dict[int, tuple[Step, str, datetime]] = {}

    def step_started(self, index: int, step: Step, description: str) -> None:
        self._started[index + self.first_index] = (step, description, datetime.now(UTC))

    def step_finished(self, index: int, outcome: str, detail: str | None,
                      source: str | None, screenshot: bytes | None,
                      observations: list[dict[str, Any]] | None = None) -> None:
        index += self.first_index
        step, description, started = self._started.pop(index)
        evidence: list[tuple[str, bytes, str]] = []
        if source is not None:
            evidence.append(("page_source", source.encode("utf-8"), ".xml"))
        if screenshot is not None:
            evidence.append(("screenshot", screenshot, ".png"))
        self.store.record_step(self.mid, self.run_id, index, kind=step.kind, name=step.name,
                               stage=step.stage.value, line=step.line,
                               description=description, started_at=started, outcome=outcome,
                               detail=detail, evidence=evidence, observations=observations)


_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


def secret_regions(source: str, secrets: SecretScrubber
                   ) -> tuple[list[tuple[int, int, int, int]], tuple[int, int] | None]:
    """Bounds of elements showing a secret, and the hierarchy's size if it says."""
    try:
        root = etree.fromstring(source.encode("utf-8"),
                                etree.XMLParser(recover=True, resolve_entities=False))
    except etree.XMLSyntaxError:
        return [], None
    if root is None:
        return [], None
    size = None
    if root.get("width") and root.get("height"):
        try:
            size = (int(str(root.get("width"))), int(str(root.get("height"))))
        except ValueError:
            size = None
    boxes = []
    for el in root.iter():
        label = f"{el.get('text', '')} {el.get('content-desc', '')}".strip()
        if not label or not secrets.shows_secret(label):
            continue
        m = _BOUNDS.fullmatch(str(el.get("bounds", "")))
        if m:
            x1, y1, x2, y2 = (int(g) for g in m.groups())
            boxes.append((x1, y1, x2, y2))
    return boxes, size


def redact_screenshot(png: bytes, source: str | None, secrets: SecretScrubber) -> bytes:
    """``png`` with every element that shows one of the attempt's secrets painted over.

    If the page source cannot be read, the whole image is withheld (a grey image of the
    same size), since an unredacted screenshot could show the number.
    """
    try:
        image: Image.Image = Image.open(io.BytesIO(png))
        image.load()
    except Exception:
        return png  # not an image we can read; nothing readable to leak either
    boxes, size = secret_regions(source, secrets) if source else ([], None)
    if source is None:
        image = Image.new("RGB", image.size, (128, 128, 128))
    elif boxes:
        sx = image.width / size[0] if size and size[0] else 1.0
        sy = image.height / size[1] if size and size[1] else 1.0
        draw = ImageDraw.Draw(image)
        for x1, y1, x2, y2 in boxes:
            draw.rectangle((int(x1 * sx), int(y1 * sy), int(x2 * sx), int(y2 * sy)),
                           fill=(0, 0, 0))
    else:
        return png
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
