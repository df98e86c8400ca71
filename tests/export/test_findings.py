"""``harness findings`` on a simulator database and with download data stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.main import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "trends"


def test_findings_print_the_four_figures_with_intervals_and_their_basis(
        db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", "--db", str(db_path), "--include-simulated", "--json"]) == 0
    figs = {f["key"]: f for f in json.loads(capsys.readouterr().out)}
    assert list(figs) == ["identifiability", "barriers", "downloads", "regions"]
    ident, bars = figs["identifiability"], figs["barriers"]
    for fig in (ident, bars):
        assert fig["ci_low"] <= fig["value"] <= fig["ci_high"]
        assert fig["numerator"] <= fig["denominator"]
    assert ident["denominator"] == ident["basis"]["apps_tested"]
    assert bars["denominator"] == bars["basis"]["instances_tested"]
    assert figs["downloads"]["value"] is None
    assert "harness trends import" in figs["downloads"]["notes"][0]
    assert sum(p["denominator"] for p in figs["regions"]["parts"]) == bars["denominator"]


def test_findings_text_names_its_sample_and_flags_simulated_rows(
        db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", "--db", str(db_path)]) == 0
    real = capsys.readouterr().out
    assert main(["findings", "--db", str(db_path), "--include-simulated"]) == 0
    both = capsys.readouterr().out
    assert real.startswith("from ") and "4. barrier share" in real
    assert "simulator" not in real and "not findings about real apps" in both


def test_downloads_without_evidence_groups_explain_how_to_give_them(
        db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(db_path.read_bytes())
    assert main(["trends", "import", str(FIXTURES / "synthetic_downloads.csv"),
                 "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["findings", "--db", str(db), "--include-simulated", "--json"]) == 0
    down = json.loads(capsys.readouterr().out)[2]
    # the simulator's apps are not catalog apps: no affected/comparison app has counts
    assert down["value"] is None and "--group-apps" in down["notes"][0]


def test_the_command_line_defaults_are_the_analysis_defaults() -> None:
    from harness.analysis import findings as analysis
    from harness.cli import findings as cli

    assert cli.CYBERSECURITY_LAW == analysis.CYBERSECURITY_LAW
    assert cli.DEFAULT_HARMONICS == analysis.DEFAULT_HARMONICS
