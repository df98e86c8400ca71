"""The report site's pages, labels, history, data page and command, without a browser."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fontTools.ttLib import TTFont

from harness.analysis import Analysis, Confirmation, Filters
from harness.analysis.definitions import outcome_labels
from harness.analysis.schemas import SCHEMAS
from harness.analysis.site import COLUMN_LABELS, read_data_folder, write_site
from harness.analysis.site.datapage import data_body
from harness.analysis.site.history import change_events, last_confirmed, streaks
from harness.analysis.site.labels import OUTCOME_CODES, outcome_label
from harness.analysis.site.matrix import MAX_COLUMNS, pack, text_on
from harness.cli.main import main
from harness.support.errors import ConfigError

DATA = Path(__file__).resolve().parent / "data"
T0 = datetime(2024, 3, 1, tzinfo=UTC)


# ----------------------------------------------------------------------- labels

def test_every_exported_column_has_a_human_label() -> None:
    columns = {name for cols in SCHEMAS.values() for name, _kind in cols}
    assert sorted(columns - set(COLUMN_LABELS)) == []
    for name, label in COLUMN_LABELS.items():
        assert "_" not in label and not label[0].islower(), (name, label)


def test_every_outcome_has_a_code_and_a_label_in_words() -> None:
    codes = [OUTCOME_CODES[o] for o in outcome_labels()]
    assert len(set(codes)) == len(codes)
    for outcome in outcome_labels():
        label = outcome_label(outcome)
        assert "_" not in label and ":" not in label, label
    assert outcome_label("barrier:id_verification_required") == "Identity document required"


def test_cell_text_contrasts_with_every_outcome_colour() -> None:
    assert text_on("#ffe082") == "#111111" and text_on("#6a1b9a") == "#ffffff"


def test_regions_are_packed_into_tables_that_fit_1280_px() -> None:
    groups = [("asia_pacific", [f"A{i}" for i in range(24)]), ("europe", ["E1", "E2"]),
              ("mena", [f"M{i}" for i in range(9)]), ("north_america", ["US", "CA"])]
    tables = pack(groups)
    assert all(sum(len(codes) for _r, codes, _p in t) <= MAX_COLUMNS for t in tables)
    assert [(r, len(c), p) for r, c, p in tables[0]] == [("asia_pacific", 12, " 1/2")]
    assert [(r, len(c), p) for r, c, p in tables[1]] == [("asia_pacific", 12, " 2/2"),
                                                          ("europe", 2, "")]
    assert [r for r, _c, _p in tables[2]] == ["mena", "north_america"]


# ----------------------------------------------------------------------- history

def _attempts(rows: list[tuple[str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "measurement_id": [f"m{i:02d}" for i in range(len(rows))],
        "scenario_id": "app-a", "country": [c for c, _h, _o in rows],
        "started_at": [T0 + timedelta(hours=h) for _c, h, _o in rows],
        "outcome": [o for _c, _h, o in rows],
        "status": [o.split(":")[0] for _c, _h, o in rows]})


def test_the_outcome_confirmed_before_a_change_is_kept() -> None:
    ok, idv = "access:full", "barrier:id_verification_required"
    rows = [("DE", 0, ok), ("DE", 4, ok), ("DE", 7, ok),           # confirmed: 3 over 7 h
            ("DE", 8, "failure:timeout"),                            # neither breaks nor counts
            ("DE", 9, idv),                                          # the change, open
            ("FR", 0, idv), ("FR", 1, ok), ("FR", 2, idv)]           # reverted, never confirmed
    s = streaks(_attempts(rows), Confirmation())
    de = s[s["country"] == "DE"]
    assert list(de["outcome"]) == [ok, idv] and list(de["confirmed"]) == [True, False]
    conf = last_confirmed(s).set_index("country")
    assert conf.loc["DE", "confirmed_outcome"] == ok
    assert not conf.loc["DE", "confirmed_is_latest"] and "FR" not in conf.index
    events = change_events(s)
    assert list(zip(events["country"], events["state"], strict=True)) == [
        ("DE", "unconfirmed"), ("FR", "unconfirmed"), ("FR", "reverted")]
    assert events.iloc[0]["previous_outcome"] == ok and events.iloc[0]["attempts"] == 1


def test_streaks_confirm_by_the_rule_given() -> None:
    rows = [("DE", 0, "access:full"), ("DE", 1, "access:full")]
    s = streaks(_attempts(rows), Confirmation(min_attempts=2, min_hours=1))
    assert bool(s.iloc[0]["confirmed"]) and s.iloc[0]["attempts"] == 2
    s = streaks(_attempts(rows), Confirmation(min_attempts=2, min_hours=2))
    assert not bool(s.iloc[0]["confirmed"])


# ----------------------------------------------------------------------- the site

@pytest.fixture(scope="module")
def site(export_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    with Analysis(export_db, Filters(include_simulated=True)) as analysis:
        result = write_site(analysis, out, data_dir=DATA)
    assert "apps/app-a.html" in result.pages and "countries/DE.html" in result.pages
    return out


def _pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
            for p in site.rglob("*.html")}


def test_every_page_is_there_and_loads_nothing_from_outside(site: Path) -> None:
    pages = _pages(site)
    assert {"index.html", "apps/index.html", "countries/index.html", "changes.html",
            "methodology.html", "data.html", "apps/app-a.html", "apps/app-c.html",
            "countries/CN.html", "countries/JP.html"} <= set(pages)
    for name, html in pages.items():
        assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", html), name
        assert "<script" not in html, name
        for ref in re.findall(r"(?:src|href)='([^'#]+)", html):  # every link resolves
            assert (site / name).parent.joinpath(ref).resolve().exists(), (name, ref)


def test_no_phone_number_or_ip_address_reaches_a_page(site: Path) -> None:
    for name, html in _pages(site).items():
        assert "12345678" not in html and "203.0.113.7" not in html, name


def test_no_missing_value_reads_as_text(site: Path) -> None:
    for name, html in _pages(site).items():
        text = re.sub(r"<[^>]+>", " ", html)
        found = re.search(r"\b(nan|NaN|Nan|None|NaT|<NA>)\b", text)
        assert found is None, (name, text[max(0, found.start() - 120):found.end() + 40])


def test_pages_use_human_labels_not_column_names(site: Path) -> None:
    headings = [h for html in _pages(site).values()
                for h in re.findall(r"<th[^>]*>(.*?)</th>", html)]
    assert headings and [h for h in headings if re.fullmatch(r"[a-z]+(_[a-z]+)+", h)] == []
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Barrier rates by region" in index and "Europe (incl. extended Europe)" in index
    assert "60% <small>(3 of 5; 95% CI" in index  # Europe: 3 of its 5 instances


def test_the_matrix_shows_latest_and_confirmed_outcome(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    # app-a in DE: three agreeing ID barriers over 8 hours: confirmed
    cell = re.search(r"<td class='c'[^>]*title='App A in Germany: Identity document "
                     r"required, confirmed[^']*'><a href='apps/app-a.html#c-DE'><b>ID</b>"
                     r"<i>✓</i>", index)
    assert cell, "app-a DE is a confirmed ID barrier"
    # app-a in JP: three ID barriers within one hour: latest shown, not yet confirmed
    assert re.search(r"<td class='c u'[^>]*title='App A in Japan: Identity document "
                     r"required, not yet confirmed[^']*'><a[^>]*><b>ID</b><i>\?</i>", index)
    assert "Asia-Pacific" in index and "class='legend'" in index


def test_every_page_carries_the_simulator_banner_when_simulated_data_is_in(
        site: Path, export_db: Path, tmp_path: Path) -> None:
    for name, html in _pages(site).items():
        assert "<div class='sim' role='note'><b>Simulated data.</b> 1 of 22 attempts" in html, \
            name
    with Analysis(export_db, Filters()) as analysis:
        write_site(analysis, tmp_path / "real")
    assert "class='sim'" not in (tmp_path / "real" / "index.html").read_text("utf-8")


def test_the_country_page_shows_its_vantage_fidelity(site: Path) -> None:
    de = (site / "countries" / "DE.html").read_text(encoding="utf-8")
    assert "Vantage fidelity" in de and "<b>The SIM reports US.</b>" in de
    assert "0% <small>(0 of 8; 95% CI" in de  # SIM: none of the 8 attempts in DE matched
    assert de.count("100% <small>(8 of 8; 95% CI") == 4  # IP, locale, time zone, GPS
    us = (site / "countries" / "US.html").read_text(encoding="utf-8")
    assert "The SIM reports US" not in us


def test_the_changes_page_says_what_changed_when(site: Path) -> None:
    changes = (site / "changes.html").read_text(encoding="utf-8")
    assert "1 changed outcome" in changes  # the newest run against the one before
    assert "Every change of outcome" in changes and "reverted" in changes


def test_the_methodology_page_comes_from_the_definitions(site: Path) -> None:
    from harness.analysis.definitions import RNR_BARRIERS

    page = (site / "methodology.html").read_text(encoding="utf-8")
    assert "at least <b>3</b> consecutive conclusive attempts" in page
    assert "<b>6 hours</b>" in page and "operator 310260" in page
    for code in RNR_BARRIERS:
        assert f"<code>barrier:{code}</code>" in page
    assert "What the simulator is" in page and "Sample sizes" in page


def test_the_data_page_links_the_published_files(site: Path) -> None:
    page = (site / "data.html").read_text(encoding="utf-8")
    hrefs = re.findall(r"href='([^']+)'", page)
    targets = {Path(os.path.normpath(site / h)).name for h in hrefs
               if (site / h).resolve().is_file()}
    assert {"measurements.jsonl", "barrier_matrix.csv", "CITATION.cff", "LICENSE-DATA.md",
            "datapackage.json"} <= targets
    assert "Every measurement" in page and "cff-version: 1.2.0" in page
    assert "Creative Commons Attribution 4.0" in page


def test_without_data_the_data_page_says_how_to_publish(export_db: Path,
                                                        tmp_path: Path) -> None:
    with Analysis(export_db, Filters()) as analysis:
        write_site(analysis, tmp_path / "s")
    page = (tmp_path / "s" / "data.html").read_text(encoding="utf-8")
    assert "harness publish --out reports/data" in page


def test_the_font_has_every_character_of_the_pages(site: Path) -> None:
    font = site / "assets" / "site-font.woff2"
    data = font.read_bytes()
    assert data[:4] == b"wOF2" and len(data) < 300_000
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    text = "".join(re.sub(r"<[^>]*>", " ", h) for h in _pages(site).values())
    cjk = {c for c in text if "\u4e00" <= c <= "\u9fff"}
    assert cjk and sorted(c for c in cjk if ord(c) not in cmap) == []
    css = (site / "assets" / "site.css").read_text(encoding="utf-8")
    assert 'url("site-font.woff2") format("woff2")' in css


# ----------------------------------------------------------------------- data folder

def _package(tmp_path: Path, doc: object) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    (folder / "datapackage.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def test_a_data_folder_is_read_from_its_datapackage() -> None:
    folder = read_data_folder(DATA)
    assert [r.path for r in folder.resources] == ["measurements.jsonl",
                                                  "tables/barrier_matrix.csv"]
    assert folder.citation == "CITATION.cff" and folder.licence_files == ("LICENSE-DATA.md",)


@pytest.mark.parametrize(("doc", "field"), [
    ({"name": "x"}, "field `resources`"),
    ({"resources": [{"title": "no path"}]}, "field `resources[0].path`"),
    ({"resources": [{"path": "../../etc/passwd"}]}, "is not a path inside the data folder"),
])
def test_a_bad_datapackage_is_one_clear_error(tmp_path: Path, doc: object,
                                              field: str) -> None:
    with pytest.raises(ConfigError) as err:
        read_data_folder(_package(tmp_path, doc))
    text = str(err.value)
    assert "datapackage.json" in text and field in text and "harness publish" in text


# ----------------------------------------------------------------------- the command

def test_report_command_writes_the_site(export_db: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main(["report", "--db", str(export_db), "--out", f"{out}/", "--data",
                 str(DATA)]) == 0
    printed = capsys.readouterr().out
    assert "report site written to" in printed and (out / "index.html").is_file()
    assert "Simulated data" not in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--data", "nowhere"], "nowhere: no such folder. Give --data the folder `harness "
                            "publish --out DIR` wrote"),
    (["--data", str(DATA), "--out", "r.html"], "--data links the published files from "
                                               "the report site"),
])
def test_report_command_bad_data_option(export_db: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch,
                                        args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["report", "--db", str(export_db), *args]
    if "--out" not in args:
        argv += ["--out", str(tmp_path / "site")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_the_data_page_shows_code_spans_and_sizes_a_package_left_out(
        tmp_path: Path) -> None:
    doc = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    del doc["resources"][1]["bytes"]
    doc["resources"][1]["description"] = ("One row per `(app, country)`; see <b>`status`</b>, "
                                          "the verdict **in effect**, the *conclusive* one, "
                                          "`measured_*` and 2 * 3 * 4.")
    folder = read_data_folder(_package(tmp_path, doc))
    assert folder.resources[1].bytes == (DATA / "tables" / "barrier_matrix.csv").stat().st_size
    page = data_body(folder, tmp_path / "site")
    assert "<code>(app, country)</code>" in page and "`" not in page
    assert "&lt;b&gt;<code>status</code>&lt;/b&gt;" in page  # still escaped
    assert "<strong>in effect</strong>" in page and "<em>conclusive</em>" in page
    assert "<code>measured_*</code> and 2 * 3 * 4." in page
