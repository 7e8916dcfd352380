"""The report on the network contract (docs/outputs.md): named holding sites and shelters linked by named
crossings, the long occupancy table, the victims' sites and crossing, metrics_by_site.csv.

Results folders are synthetic, written here by hand (two holding sites, one shelter, three crossings of which
two link the same pair of sites) on top of tests/test_plots.py's run folder; old one-site folders (wide
occupancy, ``[crossing]``) are that helper's own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
for entry in (str(HERE.parent), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402
from test_plots import HORIZON, START, scenario_toml, write_run  # noqa: E402

import sim.report.html as report  # noqa: E402
import sim.report.plots as plots  # noqa: E402
from sim.report.plots.numbers import fmt_number, fmt_value  # noqa: E402
from sim.report.plots.placement import boxes_overlap  # noqa: E402

# holding site -> crossings out of it; every crossing leads to the one shelter
NETWORK = {"Camp Shwe Kokko": ("Friendship Bridge 2", "River ford"), "KK Park": ("Bridge 1",)}
SHELTER = "Mae Sot shelter"
CAPACITY = {"Camp Shwe Kokko": 40, "KK Park": None, SHELTER: 25}
DAILY = {"Friendship Bridge 2": 30, "River ford": None, "Bridge 1": 10}


def network_toml(sites: dict[str, tuple[str, int | None]], crossings: dict[str, tuple[str, str, int | None]]) -> str:
    """``[sites.<name>]`` and ``[crossings.<name>]`` tables in the new contract, as TOML text."""
    lines = []
    for name, (kind, capacity) in sites.items():
        lines += [f"[sites.{json.dumps(name)}]", f'kind = "{kind}"', "hazard_per_day = 0.001",
                  "cost_per_person_day = 5.0"] + ([f"capacity = {capacity}"] if capacity is not None else []) + [""]
    for name, (holding, shelter, daily) in crossings.items():
        lines += [f"[crossings.{json.dumps(name)}]", f"holding = {json.dumps(holding)}",
                  f"shelter = {json.dumps(shelter)}", 'admission = "travel_arranged"', "travel_days = 0.1",
                  "closures = []", "capacity_changes = []"] + ([f"daily_capacity = {daily}"] if daily else []) + [""]
    return "\n".join(lines)


def _scenario_file(name: str, sites: dict[str, tuple[str, int | None]],
                   crossings: dict[str, tuple[str, str, int | None]]) -> str:
    """test_plots' resolved scenario with its one-site tables replaced by the network's."""
    text = scenario_toml(name)
    head, rest = text.split("[sites.holding]", 1)
    rest = rest[rest.index("[database]"):]
    return head + network_toml(sites, crossings) + rest


def long_from_victims(victims: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The long occupancy table the victims imply: per site a row at each instant its occupancy changed (the
    state after every change at that instant) and on every whole day; sorted by site then day per replication."""
    frames = []
    for rep, v in victims.groupby("replication"):
        for site, kind in kinds.items():
            if kind == "holding":
                here = v[v["holding_site"] == site]
                leave = here["crossed"].where(here["crossed"].notna(), here["departed"])
                events = [(t, 1) for t in here["arrived"]] + [(t, -1) for t in leave.dropna()]
            else:
                here = v[v["shelter_site"] == site]
                events = [(t, 1) for t in here["crossed"]] + [(t, -1) for t in here["departed"].dropna()]
            change = pd.DataFrame(events, columns=["day", "d"]).groupby("day")["d"].sum().sort_index()
            times, counts = change.index.to_numpy(dtype=float), change.cumsum().to_numpy()
            whole = np.arange(0.0, np.floor(HORIZON) + 1.0)
            idx = np.searchsorted(times, whole, side="right") - 1
            at_whole = np.where(idx >= 0, counts[np.clip(idx, 0, None)], 0)
            day = np.concatenate([times, whole])
            people = np.concatenate([counts, at_whole]).astype("int64")
            order = np.argsort(day, kind="stable")
            frames.append(pd.DataFrame({"replication": np.int32(rep), "site": site, "kind": kind,
                                        "day": day[order], "people": people[order]}))
    return pd.concat(frames, ignore_index=True)


def _metrics_by_site(victims: pd.DataFrame, occupancy: pd.DataFrame) -> pd.DataFrame:
    rows = []
    reps = sorted(victims["replication"].unique())

    def add(site: str, kind: str, metric: str, values: list[float]) -> None:
        x = np.asarray(values, dtype=float)
        half = 2.0 * x.std(ddof=1) / np.sqrt(len(x))
        rows.append({"site": site, "kind": kind, "metric": metric, "mean": x.mean(), "ci_low": x.mean() - half,
                     "ci_high": x.mean() + half, "p50": np.median(x), "p90": np.quantile(x, 0.9), "n": len(x)})

    for site, kind in [(s, "holding") for s in NETWORK] + [(SHELTER, "shelter")]:
        column = "holding_site" if kind == "holding" else "shelter_site"
        occ = occupancy[occupancy["site"] == site]
        add(site, kind, "people", [float((victims[victims["replication"] == r][column] == site).sum()) for r in reps])
        add(site, kind, "peak", [float(occ[occ["replication"] == r]["people"].max()) for r in reps])
        add(site, kind, "stay_days_mean", [5.0 + r for r in reps])
    for crossing in DAILY:
        add(crossing, "crossing", "people",
            [float((victims[victims["replication"] == r]["crossing"] == crossing).sum()) for r in reps])
        add(crossing, "crossing", "most_in_a_day", [7.0 + r for r in reps])
        add(crossing, "crossing", "wait_days_mean", [2.0 + r for r in reps])
    return pd.DataFrame(rows)


def write_network_run(folder: Path, name: str = "Two camps, three crossings") -> Path:
    """A run folder in the new contract: test_plots' run, its people spread over the network."""
    write_run(folder, name)
    victims = pd.read_parquet(folder / "victims.parquet")
    rng = np.random.default_rng(11)
    camps = np.array(list(NETWORK))
    victims["holding_site"] = camps[(rng.random(len(victims)) < 0.35).astype(int)]
    first = {camp: out[0] for camp, out in NETWORK.items()}
    crossing = victims["holding_site"].map(first)
    ford = (victims["holding_site"] == "Camp Shwe Kokko") & (rng.random(len(victims)) < 0.4)
    crossing = crossing.where(~ford, "River ford")
    crossed = victims["crossed"].notna()
    victims["crossing"] = crossing.where(crossed, None)
    victims["shelter_site"] = pd.Series(SHELTER, index=victims.index).where(crossed, None)
    victims.to_parquet(folder / "victims.parquet", index=False)
    kinds = {camp: "holding" for camp in NETWORK} | {SHELTER: "shelter"}
    occupancy = long_from_victims(victims, kinds)
    occupancy.to_parquet(folder / "occupancy.parquet", index=False)
    _metrics_by_site(victims, occupancy).to_csv(folder / "metrics_by_site.csv", index=False)
    sites = {camp: ("holding", CAPACITY[camp]) for camp in NETWORK} | {SHELTER: ("shelter", CAPACITY[SHELTER])}
    crossings = {c: (camp, SHELTER, DAILY[c]) for camp, out in NETWORK.items() for c in out}
    (folder / "scenario.toml").write_text(_scenario_file(name, sites, crossings), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def network_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_network_run(tmp_path_factory.mktemp("network_run"))


def _texts(fig) -> list:
    return [t for ax in fig.axes for t in ax.texts if t.get_visible() and t.get_text().strip()] + list(fig.texts)


# ------------------------------------------------------------------------------------ reading the files


def test_the_loader_turns_a_wide_occupancy_table_long() -> None:
    wide = pd.DataFrame({"replication": [0, 0, 0, 1], "day": [0.0, 0.5, 1.0, 0.0],
                         "holding": [5, 3, 3, 2], "shelter": [0, 2, 1, 0]})
    long = plots.long_occupancy(wide)
    assert list(long.columns) == ["replication", "site", "kind", "day", "people"]
    assert long["site"].tolist() == ["holding"] * 3 + ["shelter"] * 3 + ["holding", "shelter"]
    assert (long["site"] == long["kind"]).all()
    assert long["people"].tolist() == [5, 3, 3, 0, 2, 1, 2, 0]
    assert long["day"].tolist() == [0.0, 0.5, 1.0, 0.0, 0.5, 1.0, 0.0, 0.0]
    assert plots.long_occupancy(long) is long  # a long table is kept as it is


def test_an_old_folder_reads_as_the_one_site_network(tmp_path: Path) -> None:
    s = plots.load_results(write_run(tmp_path / "old")).scenarios[0]
    assert list(s.occupancy().columns) == ["replication", "site", "kind", "day", "people"]
    net = s.network
    assert [(x.name, x.kind, x.capacity) for x in net.sites] == [("holding", "holding", 40.0),
                                                                   ("shelter", "shelter", 20.0)]
    assert [(c.name, c.holding, c.shelter, c.daily_capacity) for c in net.crossings] == [
        ("crossing", "holding", "shelter", 30.0)]


def test_the_network_of_a_new_scenario_file(network_run: Path) -> None:
    s = plots.load_results(network_run).scenarios[0]
    net = s.network
    assert [x.name for x in net.ordered_sites] == ["Camp Shwe Kokko", "KK Park", SHELTER]
    assert [x.capacity for x in net.ordered_sites] == [40.0, None, 25.0]
    assert [(c.name, c.holding, c.daily_capacity) for c in net.crossings] == [
        ("Friendship Bridge 2", "Camp Shwe Kokko", 30.0), ("River ford", "Camp Shwe Kokko", None),
        ("Bridge 1", "KK Park", 10.0)]
    # a site without kind is taken by its name, else by the crossings that name it
    config = {"sites": {"holding": {}, "Camp": {}, "Refuge": {}},
              "crossings": {"x": {"holding": "Camp", "shelter": "Refuge"}}}
    assert [(x.name, x.kind) for x in plots.network_of(config).sites] == [
        ("holding", "holding"), ("Camp", "holding"), ("Refuge", "shelter")]


# ------------------------------------------------------------------------------------------ the figures


def _hand_medians(victims: pd.DataFrame, column: str, value: str) -> float:
    return float((victims[column] == value).groupby(victims["replication"]).sum().median())


def test_the_network_figure_shows_the_medians_computed_by_hand(network_run: Path) -> None:
    s = plots.load_results(network_run).scenarios[0]
    victims, occupancy = s.victims(), s.occupancy()
    figures = plots.network_figures(s.network, occupancy, victims)
    fig = plots.network_figure([(s.name, s.network, figures)])
    assert len(fig.axes) == 1
    texts = [t.get_text() for t in _texts(fig)]
    assert s.name in texts  # the panel's title
    for crossing, daily in DAILY.items():
        crossed = _hand_medians(victims, "crossing", crossing)
        assert figures.crossed[crossing] == crossed
        i = texts.index(crossing)
        cap = "no cap" if daily is None else f"cap {daily}/day"
        assert texts[i + 1] == f"{cap} · crossed: {fmt_number(crossed)} people"
    for camp in NETWORK:
        held = _hand_medians(victims, "holding_site", camp)
        peak = occupancy[occupancy["site"] == camp].groupby("replication")["people"].max().median()
        body = texts[texts.index(camp) + 1]
        assert f"held: {fmt_number(held)} people" in body and f"peak: {fmt_number(peak)} at once" in body
        assert ("capacity: no limit" if CAPACITY[camp] is None else f"capacity: {CAPACITY[camp]}") in body
    boxes = [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 3 + 3  # three sites and three arrow labels
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    rads = sorted(float(a.get_connectionstyle().rad) for a in arrows)
    assert rads == pytest.approx([-0.225, 0.0, 0.225])  # the two parallel crossings bend apart


def test_no_text_of_the_network_figure_overlaps_another(network_run: Path) -> None:
    """Two holding sites, one shelter, three crossings (two parallel), long names: in the rendered figure no
    text's box meets another's, no arrow label meets a site's box, and everything is inside the figure."""
    s = plots.load_results(network_run).scenarios[0]
    long_names = plots.Network(
        tuple(plots.Site(f"{x.name} with a much longer name", x.kind, x.capacity) for x in s.network.sites),
        tuple(plots.Crossing(f"{c.name} (the old road)", f"{c.holding} with a much longer name",
                             f"{c.shelter} with a much longer name", c.daily_capacity) for c in s.network.crossings))
    for network in (s.network, long_names):
        figures = plots.network_figures(network, s.occupancy(), s.victims())
        fig = plots.network_figure([(s.name, network, figures), ("Another panel", network, figures)])
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = _texts(fig)
        boxes = [t.get_window_extent(renderer) for t in texts]
        assert len(boxes) == 1 + 1 + 2 * (1 + 2 * 3 + 2 * 3)  # titles, and per panel: name + body per box
        for i, box in enumerate(boxes):
            assert not any(boxes_overlap(box, other) for other in boxes[:i]), texts[i].get_text()
            assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1
        patches = [p.get_window_extent(renderer) for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
        sites, labels = patches[:3], patches[3:6]  # the first panel: its sites, then its labels
        assert not any(boxes_overlap(a, b) for a in labels for b in sites)


def test_the_network_figure_is_deterministic(network_run: Path) -> None:
    s = plots.load_results(network_run).scenarios[0]

    def positions() -> list[tuple[float, float]]:
        fig = plots.network_figure([(s.name, s.network, plots.network_figures(s.network, s.occupancy(),
                                                                              s.victims()))])
        return [t.get_position() for t in _texts(fig)]

    assert positions() == positions()


def test_a_panel_per_scenario_whose_network_differs(network_run: Path, tmp_path: Path) -> None:
    new = plots.load_results(network_run).scenarios[0].network
    old = plots.load_results(write_run(tmp_path / "old")).scenarios[0].network
    assert plots.network_panels({"A": new, "B": new}) == [
        ("A", "A: the same sites and crossings in all 2 scenarios (figures of A)")]
    assert plots.network_panels({"A": new}) == [("A", "A")]
    panels = plots.network_panels({"A": new, "B": old, "C": new})
    assert [p[0] for p in panels] == ["A", "B"]
    assert panels[0][1] == "A (reference): the same sites and crossings in 1 other scenario"


def test_occupancy_has_a_panel_per_site_and_skips_a_scenario_without_it(network_run: Path) -> None:
    s = plots.load_results(network_run).scenarios[0]
    occ = s.occupancy()
    smaller = occ[occ["site"] != "KK Park"]
    caps = {"Net": {x.name: x.capacity for x in s.network.sites}, "No KK Park": {"Camp Shwe Kokko": 60.0}}
    fig = plots.occupancy_figure({"Net": occ, "No KK Park": smaller}, caps, START, HORIZON)
    assert [ax.get_title().replace("\n", " ") for ax in fig.axes] == [
        "Camp Shwe Kokko (holding site, before the crossing)", "KK Park (holding site, before the crossing)",
        f"{SHELTER} (shelter, after the crossing)"]
    bands = [sum(isinstance(c, PolyCollection) for c in ax.collections) for ax in fig.axes]
    assert bands == [2, 1, 2]  # the scenario without KK Park draws nothing there
    capacity = [[ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_label() == "Capacity"] for ax in fig.axes]
    assert capacity == [[40.0, 60.0], [], [25.0]]  # one line per scenario where they differ
    # a median line checked against the raw long table at day 20
    shelter = occ[occ["site"] == SHELTER]
    at_20 = [g[g["day"] <= 20.0]["people"].iloc[-1] for _, g in shelter.groupby("replication")]
    median = [ln for ln in fig.axes[2].get_lines() if ln.get_label().startswith("Net")][0]
    assert median.get_ydata()[20] == pytest.approx(np.median(at_20))


def test_draw_plots_and_the_brief_on_the_network_contract(network_run: Path) -> None:
    paths = plots.draw_plots(network_run)
    assert [p.stem for p in paths][:1] == ["network"] and "occupancy" in [p.stem for p in paths]
    page = report.write_report(network_run).read_text(encoding="utf-8")
    section = page[page.index('id="network"'):page.index('id="reading"')]
    assert page.index('id="network"') < page.index('id="results"') < page.index('id="plots"')
    assert section.count('id="plot-network"') == 1 and page.count('id="plot-network"') == 1  # not again
    assert plots.caption_for("network") in page.replace("&#x27;", "'")
    table = section[section.index('<table class="sites">'):]
    rows = table.split("<tr>")[2:]
    assert [r[4:r.index("<br>")] for r in rows] == ["Camp Shwe Kokko", "KK Park", SHELTER, *DAILY]
    by_site = pd.read_csv(network_run / "metrics_by_site.csv").set_index(["site", "metric"])
    assert f"<b>{fmt_number(by_site.loc[('KK Park', 'people'), 'mean'])}</b>" in rows[1]
    assert f"<b>{fmt_number(by_site.loc[('River ford', 'people'), 'mean'])}</b>" in rows[4]
    # a crossing's row: the most who crossed in a day under Peak, the wait to cross under Mean stay
    assert f"<b>{fmt_number(by_site.loc[('River ford', 'most_in_a_day'), 'mean'])}</b>" in rows[4]
    assert f"<b>{fmt_value('wait_days_mean', by_site.loc[('River ford', 'wait_days_mean'), 'mean'])}</b>" in rows[4]
    assert '<td class="num">–</td>' not in rows[4]


def test_metrics_by_site_fills_what_the_tables_cannot(network_run: Path) -> None:
    s = plots.load_results(network_run).scenarios[0]
    figures = plots.network_figures(s.network, None, None, s.metrics_by_site())
    by_site = s.metrics_by_site().set_index(["site", "metric"])["p50"]
    assert figures.crossed["Bridge 1"] == by_site[("Bridge 1", "people")]
    assert figures.peak[SHELTER] == by_site[(SHELTER, "peak")]
    assert figures.held["KK Park"] == by_site[("KK Park", "people")]
