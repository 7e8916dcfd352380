"""Figure: the network as a simple map, so that a reader sees where people are held and where they cross.

Sites are boxes, holding sites in a left column and shelters in a right one (each in the order of the
scenario file); crossings are arrows from a holding box to a shelter box, two crossings between the same
pair of sites curved apart. A box gives the site's name, capacity, and the median (across replications)
peak occupancy and number of people held; an arrow's label gives the crossing's name, daily capacity and
the median number of people who crossed there.

The layout is computed in inches from the measured size of every text, so it is deterministic and no text
overlaps another: boxes are as large as their text, arrow labels sit in the gap between the columns (wide
enough for the widest label) at the middle of their arrow, and labels that would touch are moved apart
vertically, with a thin leader line back to their arrow. The figure has no layout engine: one axes over
the whole figure whose data units are inches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from sim.report.plots.numbers import fmt_number
from sim.report.plots.sites import HOLDING, SHELTER, Network, long_occupancy
from sim.report.plots.style import DPI, reference_name, wrap_label

NAME_PT, BODY_PT, TITLE_PT = 9.5, 8.5, 10.5
PAD = 0.09  # inches between a box's edge and its text
ROW_GAP = 0.6  # inches between two boxes of a column
LABEL_GAP = 0.1  # inches between two arrow labels
MARGIN = 0.3  # inches around the drawing
MIN_GAP, MIN_WIDTH = 1.9, 7.5  # the narrowest gap between the columns and figure, inches
LEADER_AFTER = 0.12  # a label moved further than this (inches) from its arrow gets a leader line


class _BoxColours(TypedDict):
    facecolor: str
    edgecolor: str


HOLDING_BOX: _BoxColours = {"facecolor": "#FBE3D6", "edgecolor": "#D55E00"}
SHELTER_BOX: _BoxColours = {"facecolor": "#D6EAF5", "edgecolor": "#0072B2"}
ARROW = "#333333"


@dataclass(frozen=True)
class NetworkFigures:
    """Medians across replications: per site its peak occupancy and people held, per crossing the people
    who crossed there (NaN when not known)."""

    peak: dict[str, float] = field(default_factory=dict)
    held: dict[str, float] = field(default_factory=dict)
    crossed: dict[str, float] = field(default_factory=dict)
    replications: int = 0


def _median_count(mask: pd.Series, replication: pd.Series, reps: np.ndarray) -> float:
    """The median across replications of how many rows match (a replication with none counts 0)."""
    counts = mask.groupby(replication).sum().reindex(reps, fill_value=0)
    return float(np.median(counts.to_numpy(dtype=float))) if len(counts) else float("nan")


def network_figures(network: Network, occupancy: pd.DataFrame | None, victims: pd.DataFrame | None,
                    by_site: pd.DataFrame | None = None) -> NetworkFigures:
    """The figures of a network's boxes and arrows, from the tables of one scenario.

    Peaks from the occupancy table (long or old wide); people held and crossed from the victims table's
    ``holding_site``, ``shelter_site`` and ``crossing`` columns (an old table without them: everyone was held
    at the only holding site, and those who crossed, crossed at the only crossing into the only shelter).
    What the tables cannot give is taken from ``metrics_by_site.csv`` (``p50`` of ``peak`` and ``people``).
    """
    peak: dict[str, float] = {}
    held: dict[str, float] = {}
    crossed: dict[str, float] = {}
    reps = 0
    if occupancy is not None and len(occupancy):
        long = long_occupancy(occupancy)
        all_reps = np.unique(long["replication"].to_numpy())
        reps = len(all_reps)
        peaks = long.groupby(["site", "replication"])["people"].max()
        for site in network.sites:
            if site.name in peaks.index.get_level_values(0):
                values = peaks.loc[site.name].reindex(all_reps, fill_value=0).to_numpy(dtype=float)
                peak[site.name] = float(np.median(values))
    if victims is not None and len(victims):
        rep = victims["replication"]
        all_reps = np.unique(rep.to_numpy())
        reps = max(reps, len(all_reps))
        did_cross = victims["crossed"].notna() if "crossed" in victims.columns else pd.Series(False, victims.index)
        for kind, column in ((HOLDING, "holding_site"), (SHELTER, "shelter_site")):
            sites = network.of_kind(kind)
            for site in sites:
                if column in victims.columns:
                    held[site.name] = _median_count(victims[column] == site.name, rep, all_reps)
                elif len(sites) == 1:
                    mask = pd.Series(True, victims.index) if kind == HOLDING else did_cross
                    held[site.name] = _median_count(mask, rep, all_reps)
        for c in network.crossings:
            if "crossing" in victims.columns:
                crossed[c.name] = _median_count(victims["crossing"] == c.name, rep, all_reps)
            elif len(network.crossings) == 1:
                crossed[c.name] = _median_count(did_cross, rep, all_reps)
    if by_site is not None and len(by_site) and "p50" in by_site.columns:
        for row in by_site.itertuples(index=False):
            target = {("peak", False): peak, ("people", False): held, ("people", True): crossed}.get(
                (str(row.metric), str(row.kind) == "crossing"))
            if target is not None and str(row.site) not in target:
                target[str(row.site)] = float(row.p50)
    return NetworkFigures(peak, held, crossed, reps)


def network_panels(networks: Mapping[str, Network]) -> list[tuple[str, str]]:
    """The panels to draw, as (scenario, title): the first scenario, and every scenario whose network
    (site names and kinds, crossing names and links) differs from the first one's."""
    names = list(networks)
    if not names:
        return []
    first = networks[names[0]].signature()
    others = [n for n in names[1:] if networks[n].signature() != first]
    total = len(names)
    if not others:
        title = (f"{names[0]}: the same sites and crossings in all {total} scenarios (figures of {names[0]})"
                 if total > 1 else names[0])
        return [(names[0], title)]
    same = total - 1 - len(others)
    first_title = reference_name(names[0], 0, total) + (
        f": the same sites and crossings in {same} other scenario{'s' if same > 1 else ''}" if same else "")
    return [(names[0], first_title)] + [(n, f"{n}: other sites or crossings") for n in others]


# ------------------------------------------------------------------------------------------ layout


@dataclass
class _Block:
    """A bold name over a body of text, with its measured size (inches) and, once laid out, its centre."""

    name: str
    body: str
    width: float = 0.0
    height: float = 0.0
    name_height: float = 0.0
    x: float = 0.0
    y: float = 0.0


def _measure(fig: Figure, text: str, size: float, bold: bool = False) -> tuple[float, float]:
    """The (width, height) in inches a text takes when drawn in this figure: the layout is built on it."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    t = fig.text(0, 0, text, fontsize=size, fontweight="bold" if bold else "normal")
    box = t.get_window_extent(renderer)
    t.remove()
    return box.width / fig.dpi, box.height / fig.dpi


def _sized(fig: Figure, name: str, body: str) -> _Block:
    """A block of a bold name over its body, measured."""
    nw, nh = _measure(fig, name, NAME_PT, bold=True)
    bw, bh = _measure(fig, body, BODY_PT)
    return _Block(name, body, max(nw, bw), nh + 0.04 + bh, nh)


def _count(value: float | None, unit: str = "") -> str:
    """A median by the page's rounding rule with its unit, or "–" when not known."""
    return "–" if value is None or not np.isfinite(value) else fmt_number(value) + unit


def setting_text(value: float) -> str:
    """A setting as written in the scenario file (500, not 500.0), with thousands separators."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _site_body(kind: str, capacity: float | None, figures: NetworkFigures, name: str,
               release_per_day: float | None = None) -> str:
    cap = "no limit" if capacity is None else setting_text(capacity)
    release = "" if release_per_day is None else f"releases {setting_text(release_per_day)}/day at first\n"
    return (f"{'holding site' if kind == HOLDING else 'shelter'}\ncapacity: {cap}\n{release}"
            f"peak: {_count(figures.peak.get(name), ' at once')}\nheld: {_count(figures.held.get(name), ' people')}")


def crossing_label(name: str, daily_capacity: float | None, crossed: float | None) -> tuple[str, str]:
    """An arrow's label: the crossing's name, and its daily capacity and median people crossed."""
    cap = "no cap" if daily_capacity is None else f"cap {setting_text(daily_capacity)}/day"
    return wrap_label(name, 24, 2), f"{cap} · crossed: {_count(crossed, ' people')}"


def _spread(wanted: list[float], heights: list[float], top: float) -> list[float]:
    """Label centres as near ``wanted`` as they can be with no two closer than their half heights plus
    LABEL_GAP, within [0, top] (``top`` is at least their total height)."""
    order = sorted(range(len(wanted)), key=lambda i: (-wanted[i], i))
    y = [wanted[i] for i in order]
    h = [heights[i] for i in order]
    for k in range(len(y)):  # downwards from the top
        limit = top - h[k] / 2 if k == 0 else y[k - 1] - (h[k - 1] + h[k]) / 2 - LABEL_GAP
        y[k] = min(y[k], limit)
    for k in reversed(range(len(y))):  # upwards from the bottom
        limit = h[k] / 2 if k == len(y) - 1 else y[k + 1] + (h[k] + h[k + 1]) / 2 + LABEL_GAP
        y[k] = max(y[k], limit)
    out = [0.0] * len(y)
    for k, i in enumerate(order):
        out[i] = y[k]
    return out


@dataclass
class _Panel:
    """A network's laid-out panel: its blocks, their kinds, its arrows and its size (inches)."""

    title: str
    boxes: dict[str, _Block]
    kinds: dict[str, str]
    labels: list[_Block]
    links: list[tuple[str, str, float]]  # holding site, shelter, curvature (rad) per crossing
    gap: float = 0.0
    width: float = 0.0
    height: float = 0.0
    content: float = 0.0
    title_height: float = 0.0


def _panel(fig: Figure, network: Network, figures: NetworkFigures, title: str) -> _Panel:
    """One network's layout in inches (origin at the content's lower left): boxes as large as their text,
    holding sites in the left column and shelters in the right one, each column centred vertically, a gap
    between them wide enough for the widest arrow label and tall enough for all labels stacked."""
    boxes = {s.name: _sized(fig, wrap_label(s.name, 22, 2),
                            _site_body(s.kind, s.capacity, figures, s.name, s.release_per_day))
             for s in network.ordered_sites}
    kinds = {s.name: s.kind for s in network.sites}
    crossings = [c for c in network.crossings if c.holding in boxes and c.shelter in boxes]
    labels = [_sized(fig, *crossing_label(c.name, c.daily_capacity, figures.crossed.get(c.name)))
              for c in crossings]
    links = []
    for c in crossings:  # parallel crossings (same pair of sites) bend apart, symmetrically
        group = [d.name for d in crossings if (d.holding, d.shelter) == (c.holding, c.shelter)]
        links.append((c.holding, c.shelter, 0.45 * (group.index(c.name) - (len(group) - 1) / 2)))
    columns = [[boxes[s.name] for s in network.of_kind(kind)] for kind in (HOLDING, SHELTER)]
    heights = [sum(b.height + 2 * PAD for b in col) + ROW_GAP * max(0, len(col) - 1) for col in columns]
    stack = sum(b.height + 2 * PAD for b in labels) + LABEL_GAP * max(0, len(labels) - 1)
    gap = max(MIN_GAP, max((b.width + 2 * PAD for b in labels), default=0.0) + 1.5)
    col_w = [max((b.width + 2 * PAD for b in col), default=0.0) for col in columns]
    panel = _Panel(title, boxes, kinds, labels, links, gap=gap, content=max([*heights, stack, 0.5]))
    panel.width = col_w[0] + gap + col_w[1] + 2 * MARGIN
    for col, height, x in zip(columns, heights, (MARGIN + col_w[0] / 2, MARGIN + col_w[0] + gap + col_w[1] / 2)):
        y = panel.content - (panel.content - height) / 2
        for b in col:
            b.x, b.y = x, y - PAD - b.height / 2
            b.width = max(b.width, (col_w[0] if col is columns[0] else col_w[1]) - 2 * PAD)
            y -= b.height + 2 * PAD + ROW_GAP
    return panel


def _ends(panel: _Panel) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Each crossing's arrow ends: on the right edge of its holding box and the left edge of its shelter,
    spread along the edge when a box has several crossings (ordered by the other end's height)."""
    out: list[list[float]] = [[0.0, 0.0, 0.0, 0.0] for _ in panel.links]
    pairs = [(holding, shelter) for holding, shelter, _ in panel.links]
    for side in (0, 1):
        by_box: dict[str, list[int]] = {}
        for i, pair in enumerate(pairs):
            by_box.setdefault(pair[side], []).append(i)
        for name, idx in by_box.items():
            box, other = panel.boxes[name], 1 - side
            idx.sort(key=lambda i: (-panel.boxes[pairs[i][other]].y, i))
            for j, i in enumerate(idx):
                h = box.height + 2 * PAD
                y = box.y + (0.5 - (j + 0.5) / len(idx)) * 0.6 * h
                x = box.x + (box.width / 2 + PAD) * (1 if side == 0 else -1)
                out[i][2 * side:2 * side + 2] = [x, y]
    return [((a, b), (c, d)) for a, b, c, d in out]


def _draw_block(ax: Axes, b: _Block, x0: float, y0: float, box: _BoxColours, zorder: float = 3) -> None:
    """A block's box (its text plus PAD around it) and its two texts, centred on the block's centre."""
    if box:
        ax.add_patch(FancyBboxPatch((x0 + b.x - b.width / 2 - PAD, y0 + b.y - b.height / 2 - PAD),
                                    b.width + 2 * PAD, b.height + 2 * PAD, boxstyle="round,pad=0,rounding_size=0.06",
                                    linewidth=1.3, zorder=zorder, **box))
    top = y0 + b.y + b.height / 2
    ax.text(x0 + b.x, top, b.name, fontsize=NAME_PT, fontweight="bold", ha="center", va="top", zorder=5)
    ax.text(x0 + b.x, top - b.name_height - 0.04, b.body, fontsize=BODY_PT, ha="center", va="top", zorder=5)


ALONG = (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73)
"""Where on its arrow a label may sit (share of the way from the holding site), nearest the middle first."""


def _on_curve(a: tuple[float, float], b: tuple[float, float], rad: float, t: float) -> tuple[float, float]:
    """The point a share ``t`` along an ``arc3`` arrow from a to b (a quadratic Bezier curve whose control
    point is the chord's middle moved ``rad`` times the chord's length to its right)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    cx, cy = (a[0] + b[0]) / 2 + rad * dy, (a[1] + b[1]) / 2 - rad * dx
    u = 1 - t
    return (u * u * a[0] + 2 * u * t * cx + t * t * b[0], u * u * a[1] + 2 * u * t * cy + t * t * b[1])


def _place_labels(p: _Panel, ends: list[tuple[tuple[float, float], tuple[float, float]]],
                  left: float) -> list[tuple[float, float]]:
    """Set each label's centre and return the point of its arrow it labels.

    Each label, in turn, takes the first point of :data:`ALONG` on its arrow where it stays in the gap
    between the columns and clear of the labels already placed; if one finds none, every label goes to
    the middle of its arrow and the labels are spread apart vertically (:func:`_spread`), with leader lines.
    """
    placed: list[tuple[float, float, float, float]] = []
    points = []
    for (a, b), (_, _, rad), label in zip(ends, p.links, p.labels):
        half_w, half_h = label.width / 2 + PAD, label.height / 2 + PAD
        for t in ALONG:
            x, y = _on_curve(a, b, rad, t)
            x = min(max(x, left + half_w + 0.08), left + p.gap - half_w - 0.08)
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            clear = all(box[2] + LABEL_GAP <= o[0] or o[2] + LABEL_GAP <= box[0] or box[3] + LABEL_GAP <= o[1]
                        or o[3] + LABEL_GAP <= box[1] for o in placed)
            if clear and box[1] >= 0 and box[3] <= p.content:
                placed.append(box)
                label.x, label.y = x, y
                points.append(_on_curve(a, b, rad, t))
                break
        else:
            break
    if len(points) == len(p.labels):
        return points
    points = [_on_curve(a, b, rad, 0.5) for (a, b), (_, _, rad) in zip(ends, p.links)]
    ys = _spread([pt[1] for pt in points], [lb.height + 2 * PAD for lb in p.labels], p.content)
    for label, y in zip(p.labels, ys):
        label.x, label.y = left + p.gap / 2, y
    return points


def network_figure(panels: Sequence[tuple[str, Network, NetworkFigures]],
                   suptitle: str = "Where people are held and where they cross") -> Figure:
    """The network diagram: one panel per (title, network, figures), stacked top to bottom."""
    fig = Figure(figsize=(MIN_WIDTH, 4.0), dpi=DPI)
    FigureCanvasAgg(fig)
    laid = [_panel(fig, network, figures, title) for title, network, figures in panels]
    width = max([MIN_WIDTH, *(p.width for p in laid)])
    sub = "Boxes: sites (capacity; peak and people held, medians of the replications). Arrows: crossings."
    head_w, head_h = _measure(fig, suptitle, TITLE_PT + 1, bold=True)
    sub_text = wrap_label(sub, max(40, int(width * 13)), 3)
    _, sub_h = _measure(fig, sub_text, BODY_PT)
    for p in laid:
        p.title = wrap_label(p.title, max(30, int(width * 11)), 3)
        p.title_height = _measure(fig, p.title, TITLE_PT, bold=True)[1]
        p.height = p.title_height + 0.2 + p.content + 0.35
    height = MARGIN + head_h + 0.06 + sub_h + 0.15 + sum(p.height for p in laid) + MARGIN * 0.5
    fig.set_size_inches(width, height)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    ax.text(width / 2, height - MARGIN, suptitle, fontsize=TITLE_PT + 1, fontweight="bold", ha="center", va="top")
    ax.text(width / 2, height - MARGIN - head_h - 0.06, sub_text, fontsize=BODY_PT, ha="center", va="top",
            color="#444444")
    top = height - MARGIN - head_h - 0.06 - sub_h - 0.15
    for p in laid:
        x0 = (width - p.width) / 2
        ax.text(MARGIN, top - 0.05, p.title, fontsize=TITLE_PT, fontweight="bold", ha="left", va="top")
        y0 = top - p.height + 0.35  # the content's bottom
        for name, block in p.boxes.items():
            _draw_block(ax, block, x0, y0, HOLDING_BOX if p.kinds[name] == HOLDING else SHELTER_BOX)
        ends = _ends(p)
        left = MARGIN + max((bx.width + 2 * PAD for n, bx in p.boxes.items() if p.kinds[n] == HOLDING), default=0)
        wanted = _place_labels(p, ends, left)
        for (a, b), (_, _, rad), label, want in zip(ends, p.links, p.labels, wanted):
            ax.add_patch(FancyArrowPatch((x0 + a[0], y0 + a[1]), (x0 + b[0], y0 + b[1]),
                                         connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>", mutation_scale=14,
                                         color=ARROW, linewidth=1.5, shrinkA=2, shrinkB=2, zorder=2))
            if abs(label.y - want[1]) > LEADER_AFTER or abs(label.x - want[0]) > LEADER_AFTER:
                ax.plot([x0 + want[0], x0 + label.x], [y0 + want[1], y0 + label.y], color="#888888",
                        linewidth=0.7, zorder=3.5)
                ax.plot([x0 + want[0]], [y0 + want[1]], marker="o", markersize=2.5, color=ARROW, zorder=3.6)
            _draw_block(ax, label, x0, y0, {"facecolor": "white", "edgecolor": "#999999"}, zorder=4)
        top -= p.height
    return fig
