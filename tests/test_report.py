"""report.html from a synthetic results folder (written by tests/test_plots.py helpers), never the model."""

from __future__ import annotations

import html
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
from sim.report.plots.numbers import fmt_number, fmt_range  # noqa: E402


class _Collector(HTMLParser):
    """Collects tags, attributes and text; raises on anything the parser reports as broken."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.imgs: list[dict[str, str | None]] = []
        self.links: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.stack: list[str] = []

    VOID = {"meta", "img", "br", "hr", "link", "input", "col"}

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


def test_report_opens_with_the_scorecard_of_the_stored_metrics(compare_report) -> None:
    folder, page, parsed = compare_report
    body = page[page.index("<body>"):]
    # the scorecard comes first: before the contents, the glossary and every other table
    assert body.index('<table class="scorecard">') < body.index("<nav>") < body.index('id="glossary"')
    assert body.index('<table class="scorecard">') == body.index("<table")
    comparison = pd.read_csv(folder / "comparison.csv").set_index(["metric", "scenario"])
    card = page[page.index('<table class="scorecard">'):page.index("</table>", page.index("scorecard"))]
    for name in (COMPARE_NAMES[0], COMPARE_NAMES[2]):
        row = comparison.loc[("limbo_days_mean", name)]
        assert f'<span class="value">{fmt_number(row["mean"])}</span>' in card
    row = comparison.loc[("expected_retrafficked", COMPARE_NAMES[2])]
    assert f'<span class="change">{fmt_number(row["diff_mean"], signed=True)} ' in card
    assert "USD" in card and "cost units" not in page


def _scorecard_rows(page: str) -> list[str]:
    card = page[page.index('<table class="scorecard">'):]
    card = card[:card.index("</table>")]
    return card.split("<tr")[2:]  # after the header row


def test_scorecard_number_and_plot_label_read_the_same(compare_report) -> None:
    """One rounding rule: the expected re-trafficked of each scenario reads the same in the scorecard and in
    the exposure figure's labels."""
    folder, page, _ = compare_report
    from sim.report.plots import exposure_figure, load_results

    results = load_results(folder)
    fig = exposure_figure({s.name: s.metrics() for s in results.scenarios})
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    for row, tick in zip(_scorecard_rows(page), ticks):
        cell = row[row.index('data-metric="expected_retrafficked"'):]
        value = cell[cell.index('<span class="value">') + 20:cell.index("</span>")]
        assert f"total {html.unescape(value)}" in tick


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
    assert fmt_range(first["ci_low"], first["ci_high"]) in points_table
    assert "Consular officers per team (every nationality)" in points_table  # parameters in words


def test_estimates_follow_the_one_rounding_rule() -> None:
    assert report.estimate_text(12.1, 11.9, 12.3) == ("12.1", "95% CI 11.9 to 12.3")
    assert report.estimate_text(447.1, 446.9, 447.2) == ("447", "95% CI 447 to 447")
    assert report.estimate_text(-32.4, -35.2, -29.6, signed=True) == ("−32.4", "95% CI −35.2 to −29.6")
    assert report.estimate_text(2.5e6, 2.1e6, 2.9e6) == ("2.50 million", "95% CI 2.10 to 2.90 million")
    assert report.estimate_text(0.563, 0.537, 0.589, "home_by_day_30_share") == ("56.3%", "95% CI 53.7% to 58.9%")
    assert report.estimate_text(5.0, float("nan"), float("nan"))[1] == "no CI: a single replication"


def test_write_report_draws_the_plots_when_plots_is_missing(tmp_path: Path) -> None:
    """A run folder holding only the metrics (no Parquet tables): the figures drawn from metrics.csv."""
    folder = write_run(tmp_path / "run")
    for name in ("victims.parquet", "occupancy.parquet", "stages.parquet"):
        (folder / name).unlink()
    page = report.write_report(folder).read_text(encoding="utf-8")
    pngs = sorted(p.stem for p in (folder / "plots").glob("*.png"))
    # the network comes from the scenario file alone (its figures read "–" without the tables)
    assert pngs == ["cost_vs_exposure", "exposure", "limbo_curve", "network", "stage_times"]
    assert len(_parse(page).imgs) == 5
    shutil.rmtree(folder / "plots")
    (folder / "plots").mkdir()  # an empty plots/ folder is drawn into too
    page = report.write_report(folder).read_text(encoding="utf-8")
    assert len(_parse(page).imgs) == 5


def test_importing_plots_and_report_does_not_import_the_model() -> None:
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import sim.report.plots, sim.report; "
            "heavy = ('sim.model', 'sim.experiment', 'sim.scenario', 'sim.scenario.schema', 'sim.sweep', 'simpy', "
            "'pydantic'); assert 'sim.model' not in sys.modules; "
            "print(sorted(m for m in sys.modules if m in heavy or m.startswith(heavy[0] + '.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------- the first screen, from hand-made numbers

from sim.report import brief, findings  # noqa: E402
from sim.report.evidence import BETTER, UNCLEAR, WORSE, Estimate, Evidence, verdict  # noqa: E402
from sim.report.glossary import GLOSSARY  # noqa: E402
from sim.report.plots.breakdown import Component, breakdown_from_tables  # noqa: E402


def _evidence(rows: dict[str, dict[str, tuple[float, ...]]], currency: str = "USD") -> Evidence:
    """Hand-made evidence: scenario -> metric -> (mean, diff, diff_low, diff_high); the first is the reference."""
    estimates = {name: {m: Estimate(v[0], n=5, diff=v[1], diff_low=v[2], diff_high=v[3]) if len(v) == 4
                        else Estimate(v[0], v[0] * 0.9, v[0] * 1.1, 5) for m, v in metrics.items()}
                 for name, metrics in rows.items()}
    return Evidence(list(rows), currency, estimates)


def test_verdict_is_better_only_when_the_ci_excludes_zero_on_the_good_side() -> None:
    share, cost = "home_by_day_30_share", "cost_total"
    assert verdict(share, Estimate(0.6, diff=0.03, diff_low=0.01, diff_high=0.05)) == BETTER
    assert verdict(share, Estimate(0.5, diff=-0.03, diff_low=-0.05, diff_high=-0.01)) == WORSE
    assert verdict(share, Estimate(0.6, diff=0.03, diff_low=-0.01, diff_high=0.07)) == UNCLEAR
    assert verdict(cost, Estimate(9.0, diff=-3.0, diff_low=-5.0, diff_high=-1.0)) == BETTER
    assert verdict(cost, Estimate(9.0, diff=3.0, diff_low=1.0, diff_high=5.0)) == WORSE
    assert verdict(cost, Estimate(9.0, diff=3.0, diff_low=0.0, diff_high=5.0)) == UNCLEAR  # touches zero
    ev = _evidence({"Ref": {share: (0.5,), cost: (100.0,)},
                    "Fast": {share: (0.6, 0.1, 0.05, 0.15), cost: (90.0, -10.0, -12.0, 3.0)}})
    page = brief.scorecard_html(ev)
    fast = page[page.index("<td>Fast"):]
    share_cell = fast[fast.index(f'data-metric="{share}"'):fast.index(f'data-metric="{cost}"')]
    cost_cell = fast[fast.index(f'data-metric="{cost}"'):fast.index("</td>", fast.index(f'data-metric="{cost}"'))]
    assert "60.0%" in share_cell and "+10.0 pp" in share_cell and "✓ better" in share_cell
    assert "(5.00 to 15.0 pp)" in share_cell
    assert "not clear" in cost_cell and "better" not in cost_cell and "worse" not in cost_cell


def test_a_trade_off_is_named_with_its_mechanism_only_when_both_sides_are_clear() -> None:
    base = {"limbo_days_mean": (30.0,), "cost_total": (1e6,), "cost_database": (0.0,), "cost_holding": (1e5,)}
    traded = {"limbo_days_mean": (25.0, -5.0, -6.0, -4.0), "cost_total": (1.5e6, 5e5, 4e5, 6e5),
              "cost_database": (4.5e5, 4.5e5, 4.4e5, 4.6e5), "cost_holding": (0.9e5, -1e4, -2e4, -5e3)}
    ev = _evidence({"Ref": base, "Database": traded})
    (sentence,) = findings.trade_offs(ev)
    assert sentence.startswith("Database improves the mean days in limbo (−5.00 days)")
    assert "raises the total cost by 500,000 USD (95% CI 400,000 to 600,000)" in sentence
    assert "the largest rise is the shared database and home desks, +450,000 USD" in sentence
    # the cost difference's CI includes zero: no trade-off to name
    unclear = dict(traded, cost_total=(1.1e6, 1e5, -2e4, 2.2e5))
    assert findings.trade_offs(_evidence({"Ref": base, "Database": unclear})) == []
    # better on nothing: no trade-off either, only a worse result
    worse_only = dict(traded, limbo_days_mean=(31.0, 1.0, -1.0, 3.0))
    assert findings.trade_offs(_evidence({"Ref": base, "Database": worse_only})) == []


def test_the_mechanism_names_the_biggest_change_in_a_part_of_the_wait_and_in_cost() -> None:
    ev = _evidence({"Ref": {"limbo_days_mean": (30.0,), "cost_database": (0.0,), "cost_officers": (5e4,)},
                    "DB": {"limbo_days_mean": (22.0, -8.0, -9.0, -7.0), "cost_database": (2e5, 2e5, 1.9e5, 2.1e5),
                           "cost_officers": (4e4, -1e4, -1.5e4, -5e3)}})
    records, clearance = Component("identity", "records"), Component("crossing", "clearance")
    ev.components = [records, clearance]
    ev.parts = {"Ref": {records.key: Estimate(9.0), clearance.key: Estimate(12.0)},
                "DB": {records.key: Estimate(0.5, diff=-8.5, diff_low=-8.8, diff_high=-8.2),
                       clearance.key: Estimate(20.0, diff=8.0, diff_low=7.0, diff_high=9.0)}}
    (text,) = findings.mechanisms(ev)
    assert text.startswith("DB: main effect, the mean days in limbo falls from 30.0 days to 22.0 days")
    assert ("Why: the records round trip with the home authorities falls from 9.00 to 0.50 days per person; "
            "waiting to be cleared to cross the border rises from 12.0 to 20.0 days per person") in text
    assert "Longest wait left: waiting to be cleared to cross the border, 20.0 days per person" in text
    assert "Largest change in cost: the shared database and home desks, +200,000 USD" in text


def test_the_answer_names_who_cuts_re_trafficking_most_and_what_it_costs() -> None:
    ev = _evidence({"Ref": {"expected_retrafficked": (600.0,), "cost_total": (1e7,), "cost_per_returnee": (1e3,)},
                    "Fund": {"expected_retrafficked": (520.0, -80.0, -85.0, -75.0),
                             "cost_total": (1.02e7, 2e5, -1e5, 5e5), "cost_per_returnee": (990.0, -10.0, -40.0, 20.0)},
                    "All": {"expected_retrafficked": (500.0, -100.0, -105.0, -95.0),
                            "cost_total": (1.4e7, 4e6, 3.5e6, 4.5e6),
                            "cost_per_returnee": (1.4e3, 400.0, 350.0, 450.0)}},
                   currency="EUR")
    text = findings.answer(ev)
    assert text.startswith("All cuts re-trafficking most: 500 people expected re-trafficked or lost, 100 fewer than in "
                           "Ref (95% CI −105 to −95.0), for +4.00 million EUR in total (+400 EUR per person home).")
    assert "Next: Fund, 80.0 fewer, at no clear difference in total cost (10.2 million EUR)." in text


def test_currency_is_the_scenarios_everywhere(tmp_path: Path) -> None:
    from test_plots import write_compare

    from sim.report.plots import cost_exposure_figure, load_results

    folder = write_compare(tmp_path / "eur", currency="EUR")
    results = load_results(folder)
    assert results.cost_unit == "EUR"
    page = report.build_html(results, [])
    card = page[page.index('<table class="scorecard">'):]
    assert '<span class="unit">EUR</span>' in card[:card.index("</thead>")]
    assert "USD" not in page and "cost units" not in page
    fig = cost_exposure_figure({s.name: s.metrics() for s in results.scenarios}, results.cost_unit)
    assert fig.axes[0].get_ylabel().endswith("(EUR)")


def test_the_glossary_spells_out_every_word_of_the_field(compare_report) -> None:
    _, page, parsed = compare_report
    text = " ".join("".join(parsed.text).split())
    for term in ("NRM", "MDT", "SOP", "MoU", "ETD", "BGF", "DKBA", "IOM"):
        assert any(term in t for t, _ in GLOSSARY), term
        assert f"{term}" in text
    for words in ("National Referral Mechanism", "Multidisciplinary team", "Standard operating procedure",
                  "Memorandum of understanding", "Emergency travel document", "Border Guard Force",
                  "Democratic Karen Buddhist Army", "International Organization for Migration",
                  "common random numbers", "never a prediction about any person"):
        assert words in text, words


def test_a_setting_taken_from_nationality_defaults_shows_the_defaults_source() -> None:
    config = {"nationality_defaults": {"consular": {"officers": 3, "officers_source": "row 9: 2-4 officials"}},
              "nationalities": {"Kenya": {"count": 10, "consular": {"officers": 3}},
                                "China": {"count": 50, "consular": {"officers": 40}}}}
    (row_k,) = [r for r in report.assumption_rows([config]) if r["key"] == "nationalities.Kenya.consular.officers"]
    assert row_k["notes"] == ["inherited from [nationality_defaults]: row 9: 2-4 officials"]
    (row_c,) = [r for r in report.assumption_rows([config]) if r["key"] == "nationalities.China.consular.officers"]
    assert row_c["notes"] == [""]  # its own value, and no note of its own: no source given


def test_the_parts_of_the_wait_add_up_to_the_days_in_limbo() -> None:
    """Two people: one home (identity with its records round trip, funding wait, seat), one still waiting to be
    cleared to cross at the horizon (10)."""
    victims = pd.DataFrame({"replication": [0, 0], "victim_id": [0, 1], "nationality": ["A", "A"],
                            "arrived": [0.0, 1.0], "departed": [9.0, float("nan")], "status": ["returned", "waiting"]})
    nan = float("nan")
    stages = pd.DataFrame(
        [(0, 0, "identity", 0.0, 1.0, 4.0), (0, 0, "crossing", 4.0, 6.0, 6.5), (0, 0, "transport", 6.5, 8.0, 9.0),
         (0, 1, "identity", 1.0, 1.5, 3.5), (0, 1, "crossing", 3.5, nan, nan), (0, 1, "transport", nan, nan, nan)],
        columns=["replication", "victim_id", "stage", "queued", "started", "finished"])
    config = {"pipeline": ["identity", "crossing", "transport"],
              "stages": {"identity": {"duration": {"dist": "fixed", "value": 0.5},
                                      "records_delay": {"dist": "fixed", "value": 2.5}}}}
    b = breakdown_from_tables(victims, stages, config, horizon=10.0)
    means = {c.key: b.mean(c.key) for c in b.components}
    assert means["identity:queue"] == pytest.approx((1.0 + 0.5) / 2)
    assert means["identity:service"] == pytest.approx((0.5 + 0.5) / 2)  # the interview
    assert means["identity:records"] == pytest.approx((2.5 + 1.5) / 2)
    assert means["crossing:clearance"] == pytest.approx((2.0 + 6.5) / 2)  # the second until the horizon
    assert means["transport:funding"] == pytest.approx(1.5 / 2) and means["transport:seat"] == pytest.approx(0.5)
    assert b.total() == pytest.approx((9.0 + 9.0) / 2)  # the mean days in limbo
    assert b.stuck_mean("crossing:clearance") == 1 and b.stuck_mean("identity:records") == 0


def test_scorecard_verdicts_from_a_hand_made_comparison_table(tmp_path: Path) -> None:
    """comparison.csv written by hand: a share up with a CI above zero is better, a cost up with a CI above
    zero is worse, a CI across zero is not clear, whatever the size of the mean difference."""
    from test_plots import write_compare

    from sim.report.evidence import gather
    from sim.report.plots import load_results

    folder = write_compare(tmp_path / "hand", names=("Ref", "A", "B"))
    table = pd.read_csv(folder / "comparison.csv")
    rows = {("home_by_day_30_share", "A"): (0.70, 0.10, 0.02, 0.18),
            ("home_by_day_30_share", "B"): (0.75, 0.15, -0.01, 0.31),
            ("cost_total", "A"): (2e6, 5e5, 1e5, 9e5), ("cost_total", "B"): (1e6, -5e5, -9e5, -1e5),
            ("still_waiting", "A"): (10.0, -40.0, -60.0, -20.0), ("still_waiting", "B"): (90.0, 40.0, -1.0, 81.0)}
    for (metric, name), (mean, d, lo, hi) in rows.items():
        mask = (table["metric"] == metric) & (table["scenario"] == name)
        table.loc[mask, ["mean", "diff_mean", "diff_ci_low", "diff_ci_high"]] = [mean, d, lo, hi]
    table.to_csv(folder / "comparison.csv", index=False)
    ev = gather(load_results(folder))
    assert [ev.verdict("A", m) for m in ("home_by_day_30_share", "cost_total", "still_waiting")] == [
        BETTER, WORSE, BETTER]
    assert [ev.verdict("B", m) for m in ("home_by_day_30_share", "cost_total", "still_waiting")] == [
        UNCLEAR, BETTER, UNCLEAR]
    cell = brief.scorecard_cell(ev, "B", "home_by_day_30_share")
    assert cell == {"value": "75.0%", "change": "+15.0 pp", "ci": "−1.00 to 31.0 pp", "verdict": UNCLEAR}
    # A: better on the share, worse on cost: the trade-off is named; B's cost is better, never a trade-off
    trades = findings.trade_offs(ev)
    (a,) = [t for t in trades if t.startswith("A improves the share home within 30 days (+10.0 pp)")]
    assert "raises the total cost by 500,000 USD (95% CI 100,000 to 900,000)" in a
    assert not any("B " in t and "the total cost" in t.split(" but ")[-1] for t in trades)
