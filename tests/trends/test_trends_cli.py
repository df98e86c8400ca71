"""``harness trends import`` and ``harness trends fit`` as a user runs them: a real SQLite
file, the shipped synthetic downloads (a known effect), a published ITS data set, and
the errors a vendor's file can raise."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from harness.analysis.trends.groups import groups_from_evidence
from harness.cli.main import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "trends"
AFFECTED = "wechat,qq,weibo,douyin,xiaohongshu,bilibili,zhihu,kuaishou"
COMPARISON = "alipay,dingtalk,tieba,toutiao,wecom"


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    assert main(argv) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def test_the_synthetic_downloads_effect_is_recovered_within_its_interval(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "r.db")
    assert main(["trends", "import", str(FIXTURES / "synthetic_downloads.csv"), "--db", db]) == 0
    assert "3120 rows" in capsys.readouterr().out
    doc = _json(capsys, ["trends", "fit", "--db", db, "--group-apps", AFFECTED, "--vs-apps",
                         COMPARISON, "--intervention", "2017-06", "--harmonics", "1",
                         "--draws", "500", "--out", str(tmp_path / "out"), "--json"])
    truth = 0.4493  # exp(-0.8): make_synthetic.py
    did = doc["did"]
    assert isinstance(did, dict)
    eff = did["effect"]
    assert eff["rate_ratio_ci_low"] <= truth <= eff["rate_ratio_ci_high"]
    affected, comparison = doc["series"]  # type: ignore[misc]
    level = next(c for c in affected["coefficients"] if c["term"] == "level")
    assert level["rate_ratio_ci_low"] <= truth <= level["rate_ratio_ci_high"]
    flat = next(c for c in comparison["coefficients"] if c["term"] == "level")
    assert flat["rate_ratio_ci_low"] <= 1.0 <= flat["rate_ratio_ci_high"]
    assert doc["groups"]["rule"].startswith("given by the analyst")  # type: ignore[index]
    assert (tmp_path / "out" / "trends.png").read_bytes()[:4] == b"\x89PNG"


def test_a_published_its_series_from_a_file_gives_the_published_rate_ratio(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(capsys, ["trends", "fit", "--data", str(FIXTURES / "sicily.csv"),
                         "--year-col", "year", "--month-col", "month", "--count-col", "aces",
                         "--exposure-col", "stdpop", "--intervention", "2005-01",
                         "--harmonics", "2", "--out", str(tmp_path), "--json"])
    (series,) = doc["series"]  # type: ignore[misc]
    level = next(c for c in series["coefficients"] if c["term"] == "level")
    assert [round(level[k], 3) for k in ("rate_ratio", "rate_ratio_ci_low",
                                         "rate_ratio_ci_high")] == [0.885, 0.839, 0.933]
    assert json.loads((tmp_path / "fit.json").read_text("utf-8"))["series"][0]["months"] == 59


def test_text_output_names_the_choices_and_the_prevented_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trends", "fit", "--data", str(FIXTURES / "sicily.csv"), "--year-col", "year",
                 "--month-col", "month", "--count-col", "aces", "--intervention", "2005-01",
                 "--family", "poisson", "--errors", "hac", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Newey-West (HAC)" in out and "prevented" in out and "drop [level]" in out


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def test_every_bad_row_is_named_and_nothing_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path / "bad.csv", [
        "app,month,downloads,country",
        "wechat,2017-01,100,US",
        "wechat,2017-01,120,US",      # line 3: duplicate of line 2
        "wechat,2017-02,-5,US",       # line 4: negative
        "notanapp,2017-01,10,US",     # line 5: unknown app
        "qq,2017-13,10,US",           # line 6: not a month
        "qq,2017-01,10,XX",           # line 7: not a country
        "weibo,2017-01,1,DE",
        "weibo,2017-04,1,DE",         # weibo DE lacks 2017-02 and 2017-03
    ])
    db = str(tmp_path / "r.db")
    assert main(["trends", "import", str(bad), "--db", db]) == 2
    err = capsys.readouterr().err
    for where in ("bad.csv:3", "bad.csv:4", "bad.csv:5", "bad.csv:6", "bad.csv:7"):
        assert where in err
    assert "already on" in err and "2017-02, 2017-03" in err and "--allow-gaps" in err
    assert "Traceback" not in err
    if Path(db).exists():
        with create_engine(f"sqlite:///{db}").connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM download_counts")).scalar() == 0


def test_a_vendor_export_is_read_with_a_column_mapping_and_replaced_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vendor = pd.DataFrame({"Unified Name": ["WeChat"] * 3 + ["com.sina.weibo"] * 3,
                           "Date": ["2017-05-31", "2017-06-30", "2017-07-31"] * 2,
                           "Country Code": ["US"] * 6, "Downloads (est.)": [5, 6, 7, 1, 2, 3]})
    path = tmp_path / "vendor.parquet"
    vendor.to_parquet(path)
    db = str(tmp_path / "r.db")
    argv = ["trends", "import", str(path), "--db", db, "--map", "app=Unified Name",
            "--map", "month=Date", "--map", "downloads=Downloads (est.)",
            "--map", "country=Country Code", "--dataset", "vendor"]
    assert main(argv) == 0
    assert "6 rows as dataset 'vendor': 2 apps, 2017-05..2017-07" in capsys.readouterr().out
    assert main(argv) == 2  # stored already: nothing changes without --replace
    assert "--replace" in capsys.readouterr().err
    vendor["Downloads (est.)"] = [50, 60, 70, 10, 20, 30]
    vendor.to_parquet(path)
    assert main([*argv, "--replace"]) == 0
    with create_engine(f"sqlite:///{db}").connect() as conn:
        rows = conn.execute(text("SELECT app_id, month, downloads FROM download_counts "
                                 "ORDER BY app_id, month")).all()
    assert [tuple(r) for r in rows] == [
        ("wechat", "2017-05", 50.0), ("wechat", "2017-06", 60.0), ("wechat", "2017-07", 70.0),
        ("weibo", "2017-05", 10.0), ("weibo", "2017-06", 20.0), ("weibo", "2017-07", 30.0)]


def test_a_missing_column_names_the_option_and_the_columns_there(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "v.csv", ["App,Month,Installs", "wechat,2017-01,1"])
    assert main(["trends", "import", str(path), "--db", str(tmp_path / "r.db")]) == 2
    err = capsys.readouterr().err
    assert "no column 'app'" in err and "App, Month, Installs" in err and "--map app" in err


def test_groups_from_evidence_need_a_confirmed_rnr_barrier_and_say_why_others_are_out(
        ) -> None:
    by_app = pd.DataFrame([
        ("wechat", 5, 5, 5, 3), ("qq", 5, 2, 2, 0), ("alipay", 4, 0, 0, 0),
        ("tieba", 4, 1, 0, 0), ("zhihu", 0, 0, 0, 0)],
        columns=["app", "countries_tested", "barrier_countries", "rnr_countries",
                 "confirmed_rnr_countries"])
    g = groups_from_evidence(by_app)
    assert (g.affected, g.comparison) == (["wechat"], ["alipay"])
    assert g.excluded == {"qq": "RNR barrier not yet confirmed",
                          "tieba": "a barrier, but not an RNR barrier",
                          "zhihu": "no conclusive result abroad"}
    assert {e["app"] for e in g.evidence} == {"wechat", "qq", "alipay", "tieba", "zhihu"}
