"""The app catalog (``harness/data/catalog.yaml``): the real apps the study measures.

Store identifiers come from public catalogues and may be wrong or change; each entry says
which of them were confirmed (``verified``), so analysts and the store checks can tell a
confirmed identifier from one taken on trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.support.errors import ConfigErrors
from harness.support.yamlfile import load_yaml, validation_errors

Identifier = Literal["android_package", "apple_id", "bundle_id"]


class CatalogAppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    local_name: str | None = None
    developer: str
    category: str
    android_package: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
    apple_id: int | None = None
    bundle_id: str | None = None
    verified: list[Identifier] = Field(default_factory=list)


class CatalogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    apps: list[CatalogAppIn]


@dataclass(frozen=True)
class CatalogApp:
    id: str
    name: str
    developer: str
    category: str
    android_package: str
    apple_id: int | None
    bundle_id: str | None
    verified: frozenset[str]
    #: The name in the app's own script (微信 for WeChat), None when it is the same.
    local_name: str | None = None

    def is_verified(self, identifier: Identifier) -> bool:
        return identifier in self.verified


@dataclass(frozen=True)
class Catalog:
    version: str
    apps: tuple[CatalogApp, ...]

    def get(self, app_id: str) -> CatalogApp | None:
        return next((a for a in self.apps if a.id == app_id), None)

    def by_package(self, package: str) -> CatalogApp | None:
        return next((a for a in self.apps if a.android_package == package), None)


def load_catalog(path: Path) -> Catalog:
    doc = load_yaml(path)
    try:
        raw = CatalogIn.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(doc, exc)) from None
    ids = [a.id for a in raw.apps]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigErrors([doc.error(("apps",), f"app id {dupes[0]!r} is listed twice")])
    return Catalog(raw.version, tuple(
        CatalogApp(a.id, a.name, a.developer, a.category, a.android_package, a.apple_id,
                   a.bundle_id, frozenset(a.verified),
                   a.local_name if a.local_name != a.name else None) for a in raw.apps))


@cache
def default_catalog() -> Catalog:
    return load_catalog(Path(str(resources.files("harness.data").joinpath("catalog.yaml"))))
