"""report.html from a synthetic results folder (written by tests/test_plots.py helpers), never the model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (str(ROOT), str(HERE)):  # the package and the synthetic-results helpers, from the checkout
    if entry not in sys.path:
        sys.path.insert(0, entry)

from test_plots import COMPARE_NAMES, SOURCES, drawn_compare_folder, write_run, write_sweep  # noqa: E402

import sim.report.html as report  # noqa: E402


class _Collector(HTMLParser):
    """Collects tags, attributes and text; raises on anything the parser reports as broken."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.imgs: list[dict[str, str | None]] = []
        self.links: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.stack: list[str] = []

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.imgs.append(dict(attrs))
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "srcset", "data"):
                self.links.append((tag, name, value))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        open_tag = self.stack[-1] if self.stack else None
        assert open_tag == tag, f"</{tag}> closes <{open_tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], f"unclosed tags: {parser.stack}"
    return parser


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, _Collector]:
    folder, _ = drawn_compare_folder(tmp_path_factory)
    path = report.write_report(folder)
    assert path == folder / "report.html"
    page = path.read_text(encoding="utf-8")
    return folder, page, _parse(page)


def test_write_report_embeds_every_png(compare_report) -> None:
    folder, page, parsed = compare_report
    pngs = sorted((folder / "plots").glob("*.png"))
    assert len(pngs) >= 8
    sources = [img["src"] for img in parsed.imgs]
    assert len(sources) == len(pngs)
    import base64

    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in sources if src}
    assert embedded == {p.read_bytes() for p in pngs}
    assert all(img.get("alt") for img in parsed.imgs)  # every figure has its caption as alt text


def test_report_names_every_scenario_escaped(compare_report) -> None:
    _, page, parsed = compare_report
    text = "".join(parsed.text)
    for name in COMPARE_NAMES:
        assert name in text
    assert "<fast track for everyone>" not in page  # the raw name would be a tag: it must be escaped
    assert "&lt;fast track for everyone&gt;" in page


def test_report_headlines_use_the_stored_metrics(compare_report) -> None:
    folder, _, parsed = compare_report
    text = " ".join("".join(parsed.text).split())
    comparison = pd.read_csv(folder / "comparison.csv").set_index(["metric", "scenario"])

    def estimate(row: pd.Series) -> tuple[str, str]:
        """The documented rule: 0 decimals from 10 up, else 1; more (up to 2) until the CI ends differ."""
        m, lo, hi = row["mean"], row["ci_low"], row["ci_high"]
        d = 0 if abs(m) >= 10 else 1
        while d < 2 and f"{lo:.{d}f}" == f"{hi:.{d}f}":
            d += 1
        return f"{m:.{d}f}", f"{lo:.{d}f}–{hi:.{d}f}"

    base_median, base_ci = estimate(comparison.loc[("wait_days_p50", COMPARE_NAMES[0])])
    assert f"In {COMPARE_NAMES[0]}, people wait a median of {base_median} days (95% CI {base_ci})" in text
    median, ci = estimate(comparison.loc[("wait_days_p50", COMPARE_NAMES[2])])
    assert (f"With {COMPARE_NAMES[2]}, people wait a median of {median} days (95% CI {ci}) instead of "
            f"{base_median} days in {COMPARE_NAMES[0]}") in text


def test_report_table_puts_headline_metrics_first(compare_report) -> None:
    _, page, _ = compare_report
    table = page[page.index('id="results"'):page.index('id="plots"')]
    positions = [table.index(f"<code>{m}</code>") for m in
                 ("home_by_day_30_share", "home_by_day_60_share", "limbo_days_mean", "limbo_days_p50",
                  "limbo_days_p90", "still_waiting", "expected_retrafficked", "cost_total", "cost_per_returnee",
                  "arrived", "queue_days_mean_registration")]
    assert positions == sorted(positions)


def test_report_lists_sources_and_marks_differences(compare_report) -> None:
    _, page, parsed = compare_report
    text = "".join(parsed.text)
    for note in SOURCES.values():
        assert note in text
    assumptions = page[page.index('id="assumptions"'):page.index('id="provenance"')]
    # officers differ (1, 3, 5) and database.shared differs in the third scenario: both are marked
    differs = assumptions[:assumptions.index("All settings of every scenario")]
    assert "nationalities.Ethiopia.consular.officers" in differs and "database.shared" in differs
    assert "crossing.daily_capacity" not in differs
    # a key with no note of its own takes its nearest parent's note, saying so
    assert "news reports of buildings of about 500 people (noted for sites.holding)" in text


def test_report_footer_has_hashes_version_seed_and_replications(compare_report) -> None:
    folder, page, parsed = compare_report
    footer = page[page.index("<footer>"):]
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["scenarios"]:
        assert entry["sha256"] in footer
    assert "0.1.0" in footer and "abc1234" in footer
    footer_text = " ".join(footer.split())
    assert "seed: 7" in footer_text and "replications: 3" in footer_text


def test_report_is_self_contained(compare_report) -> None:
    _, page, parsed = compare_report
    assert parsed.links, "expected some src/href attributes"
    for tag, attr, value in parsed.links:
        assert value and (value.startswith("data:") or value.startswith("#")), (tag, attr, value)
    assert "<script" not in page.lower()
    assert "url(" not in page.lower() and "@import" not in page.lower()
    assert "http://" not in page and "https://" not in page


def test_source_lookup_prefers_the_exact_key_then_the_nearest_parent() -> None:
    sources = {"crossing": "table note", "crossing.daily_capacity": "row 12",
               "nationalities.Kazakhstan": "row 40"}
    assert report.source_for("crossing.daily_capacity", sources) == "row 12"
    assert report.source_for("crossing.admission", sources) == "table note"
    assert report.source_for("nationalities.Kazakhstan.consular.officers", sources) == "row 40"
    assert report.source_for("nationalities.Kyrgyzstan.count", sources) == ""
    assert report.source_for("crossing_extra", sources) == ""  # a prefix of the name is not a parent


def test_flatten_settings_reads_sibling_source_notes_and_keeps_distributions_whole() -> None:
    config = {"scenario": {"name": "x", "horizon_days": 10.0},
              "stages": {"identity": {"duration": {"dist": "lognormal", "median": 0.03, "p90": 0.08},
                                      "duration_source": "row 7"}},
              "sources": {"scenario.horizon_days": "assumption"}}
    settings, sources = report.flatten_settings(config)
    assert set(settings) == {"scenario.name", "scenario.horizon_days", "stages.identity.duration"}
    assert "lognormal" in settings["stages.identity.duration"]
    assert sources == {"stages.identity.duration": "row 7", "scenario.horizon_days": "assumption"}


# a 1x1 PNG: stands in for drawn plots where the test is about the page, not the drawing
TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                         "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


def test_report_for_a_sweep_embeds_existing_plots_and_lists_points(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep")
    (sweep / "plots").mkdir()
    for stem in ("sensitivity", "sweep_database_shared", "sweep_heatmap", "zz_extra"):
        (sweep / "plots" / f"{stem}.png").write_bytes(TINY_PNG)
    page = report.write_report(sweep).read_text(encoding="utf-8")
    parsed = _parse(page)
    order = ("sweep_database_shared", "sweep_heatmap", "sensitivity", "zz_extra")
    ids = [page.index(f'id="plot-{s}"') for s in order]
    assert ids == sorted(ids)  # reading order: per-parameter lines, heatmap, sensitivity, then others
    text = "".join(parsed.text)
    assert "database.shared" in text and "nationality_defaults.consular.officers" in text
    assert 'base = "baseline.toml"' in text  # the sweep file is shown
    assert "Parameter sweep of Baseline 2025" in text
    footer = page[page.index("<footer>"):]
    assert "b5" * 32 in footer and "5e" * 32 in footer and "0.1.0" in footer
    points_table = page[page.index('id="points"'):page.index('id="plots"')]
    assert points_table.count("<tr><td>") == len(pd.read_csv(sweep / "points.csv"))
    summary = pd.read_csv(sweep / "summary.csv")
    first = summary[(summary["point_id"] == 0) & (summary["metric"] == "limbo_days_p90")].iloc[0]
    assert f"{first['ci_low']:.0f}–{first['ci_high']:.0f}" in points_table


def test_estimates_read_with_enough_decimals_to_tell_the_ci_ends_apart() -> None:
    assert report.estimate_text(12.1, 11.9, 12.3) == ("12.1", "95% CI 11.9–12.3")
    assert report.estimate_text(41.2, 38.4, 44.1) == ("41", "95% CI 38–44")
    assert report.estimate_text(9.04, 8.2, 9.9) == ("9.0", "95% CI 8.2–9.9")
    assert report.estimate_text(-32.4, -35.2, -29.6, signed=True) == ("−32", "95% CI −35 to −30")
    assert report.estimate_text(2.5e6, 2.1e6, 2.9e6) == ("2.50 million", "95% CI 2.10–2.90 million")
    assert report.estimate_text(1234.0, 1200.0, 1268.0) == ("1,234", "95% CI 1,200–1,268")
    assert report.estimate_text(5.0, float("nan"), float("nan"))[1] == "no CI: a single replication"


def test_write_report_draws_the_plots_when_plots_is_missing(tmp_path: Path) -> None:
    """A run folder holding only the metrics (no Parquet tables): the figures drawn from metrics.csv."""
    folder = write_run(tmp_path / "run")
    for name in ("victims.parquet", "occupancy.parquet", "stages.parquet"):
        (folder / name).unlink()
    page = report.write_report(folder).read_text(encoding="utf-8")
    pngs = sorted(p.stem for p in (folder / "plots").glob("*.png"))
    assert pngs == ["cost_vs_exposure", "exposure", "stage_times"]
    assert len(_parse(page).imgs) == 3
    shutil.rmtree(folder / "plots")
    (folder / "plots").mkdir()  # an empty plots/ folder is drawn into too
    page = report.write_report(folder).read_text(encoding="utf-8")
    assert len(_parse(page).imgs) == 3


def test_importing_plots_and_report_does_not_import_the_model() -> None:
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import sim.report.plots, sim.report; "
            "heavy = ('sim.model', 'sim.experiment', 'sim.scenario', 'sim.scenario.schema', 'sim.sweep', 'simpy', "
            "'pydantic'); assert 'sim.model' not in sys.modules; "
            "print(sorted(m for m in sys.modules if m in heavy or m.startswith(heavy[0] + '.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
