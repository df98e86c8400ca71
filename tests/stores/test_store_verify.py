"""``stores verify``: catalog ids against the lookup, and rewriting ``verified:``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from store_replay import ReplayServer

from harness.spec.catalog import load_catalog
from harness.stores.clients import StoreClients
from harness.stores.verify import VerifyStatus, update_verified, verify_catalog
from harness.support.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "harness" / "data" / "catalog.yaml"

#: What the loopback store answers for some catalog ids: (bundle id, title).
STORE_APPS = {
    414478124: ("com.tencent.xin", "WeChat"),            # matches the catalog
    444934666: ("com.tencent.mqq", "QQ"),                # matches
    741292507: ("com.xingin.somethingelse", "RED"),      # catalog says com.xingin.discover
    350962117: ("com.sina.weibo", "微博"),                # catalog has no bundle id
    1142110895: ("com.ss.iphone.ugc.Aweme", "抖音"),      # only in the CN storefront
}


def store_server(make_replay: Callable[..., ReplayServer]) -> ReplayServer:
    def available(country: str, i: int) -> bool:
        if i == 1142110895:
            return country == "CN"
        return i in STORE_APPS
    return make_replay(apple_apps=STORE_APPS, apple_available=available)


def test_verify_classifies_every_app(make_replay: Callable[..., ReplayServer],
                                     make_clients: Callable[..., StoreClients]) -> None:
    server = store_server(make_replay)
    clients = make_clients(server)
    catalog = load_catalog(CATALOG)
    rows = {r.app.id: r for r in verify_catalog(clients.apple, catalog.apps, ["US", "CN"])}
    assert rows["wechat"].status is VerifyStatus.MATCH
    assert rows["qq"].status is VerifyStatus.MATCH
    assert rows["xiaohongshu"].status is VerifyStatus.MISMATCH
    assert "com.xingin.discover" in rows["xiaohongshu"].detail
    assert rows["weibo"].status is VerifyStatus.UNCONFIRMED
    assert "bundle_id: com.sina.weibo" in rows["weibo"].detail
    assert rows["douyin"].status is VerifyStatus.UNCONFIRMED and rows["douyin"].country == "CN"
    assert rows["bilibili"].status is VerifyStatus.NOT_FOUND
    # one request per storefront for the whole catalog
    assert server.count("/lookup") == 2


def test_verify_reports_lookup_failures(make_replay: Callable[..., ReplayServer],
                                        make_clients: Callable[..., StoreClients]) -> None:
    server = store_server(make_replay)
    server.inject("503", "apple", times=10)
    rows = verify_catalog(make_clients(server, max_attempts=2).apple,
                          load_catalog(CATALOG).apps, ["US"])
    assert {r.status for r in rows} == {VerifyStatus.FAILED}
    assert all("HTTP 503" in r.detail for r in rows)


def test_update_verified_rewrites_only_those_lines(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    shutil.copy(CATALOG, path)
    before = path.read_text(encoding="utf-8").splitlines()
    changed = update_verified(path, {"wechat": frozenset({"apple_id", "bundle_id"}),
                                     "qq": frozenset()})
    assert changed == ["wechat"]  # qq already had []
    after = path.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    diff = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert diff == [("    verified: []", "    verified: [apple_id, bundle_id]")]
    assert load_catalog(path).get("wechat").verified == {"apple_id", "bundle_id"}  # type: ignore[union-attr]
    assert after[0].startswith("#")  # comments kept


def test_update_verified_handles_block_lists_and_missing_keys(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "version: '1'\n"
        "apps:\n"
        "  - id: a   # first\n"
        "    name: A\n"
        "    developer: D\n"
        "    category: c\n"
        "    android_package: org.example.a\n"
        "    apple_id: 1\n"
        "    verified:\n"
        "      - android_package\n"
        "      - apple_id\n"
        "  - id: b\n"
        "    name: B\n"
        "    developer: D\n"
        "    category: c\n"
        "    android_package: org.example.b\n"
        "    apple_id: 2\n", encoding="utf-8")
    update_verified(path, {"a": frozenset({"android_package"}),
                           "b": frozenset({"apple_id", "bundle_id"})})
    cat = load_catalog(path)
    assert cat.get("a").verified == {"android_package"}  # type: ignore[union-attr]
    assert cat.get("b").verified == {"apple_id", "bundle_id"}  # type: ignore[union-attr]
    assert "  - id: a   # first" in path.read_text(encoding="utf-8")


def test_update_verified_refuses_lines_it_cannot_edit(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "version: '1'\napps:\n  - {id: a, name: A, developer: D, category: c, "
        "android_package: org.example.a, verified: []}\n", encoding="utf-8")
    original = path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError):
        update_verified(path, {"a": frozenset({"apple_id"})})
    assert path.read_text(encoding="utf-8") == original
