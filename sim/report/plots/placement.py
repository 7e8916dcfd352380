"""Labels next to points that cover no other label and no marker: a deterministic search, no dependency.

Each label tries positions on rings around its point (nearest first, right of the point first) and takes
the first that lies inside the axes and overlaps neither a label already placed nor any point's marker; a
label set beyond the first rings gets a thin leader line to its point, which must not cross another label
or marker either. When some label finds no place, the
axes widen upwards (the points gather towards the lower left, leaving room around them) and the search starts again; a
label that still finds none is left out (the legend names every point), so that no label ever covers
another or a marker. The figure's layout is frozen before the search, so that the saved file is what was
checked.

(``adjustText`` iterates repulsion forces with no guarantee that the result overlaps nothing; this search
either finds a free place or says so, and is cheap for the handful of points a comparison has.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

MARKER_HALF_PT = 6.0
"""Half the side of the box a marker is kept clear in, in points (markers are 8 pt)."""
RINGS_PT = (9.0, 16.0, 26.0, 38.0, 52.0, 70.0, 95.0, 125.0)
ANGLES = (20, -20, 160, -160, 90, -90, 55, -55, 125, -125, 0, 180)
ZOOMS = (1.0, 1.3, 1.7, 2.3)
LEADER = {"arrowstyle": "-", "color": "#777777", "linewidth": 0.7, "shrinkA": 0, "shrinkB": 5}


def boxes_overlap(a: Bbox, b: Bbox, pad: float = 0.0) -> bool:
    return a.x0 - pad < b.x1 and a.x1 + pad > b.x0 and a.y0 - pad < b.y1 and a.y1 + pad > b.y0


def _alignment(angle: float) -> tuple[str, str]:
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ha = "left" if c > 0.3 else "right" if c < -0.3 else "center"
    va = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
    return ha, va


def marker_boxes(fig: Figure, ax: Any, points: Sequence[tuple[float, float]]) -> list[Bbox]:
    """The boxes (display pixels) each point's marker is kept clear in."""
    half = MARKER_HALF_PT * fig.dpi / 72.0
    out = []
    for p in points:
        x, y = ax.transData.transform(p)
        out.append(Bbox([[x - half, y - half], [x + half, y + half]]))
    return out


def _zoom(ax: Any, limits: tuple[tuple[float, float], tuple[float, float]], factor: float) -> None:
    """Widen the axes by ``factor`` on the upper side (the lower limits, often zero, stay)."""
    (x0, x1), (y0, y1) = limits
    ax.set_xlim(x0, x0 + (x1 - x0) * factor)
    ax.set_ylim(y0, y0 + (y1 - y0) * factor)


def _leader_crosses(start: tuple[float, float], box: Bbox, others: Sequence[Bbox]) -> bool:
    """Whether the leader line from ``start`` (the point, display pixels) to the label's box crosses a box of
    ``others`` (checked at 24 points along it)."""
    end = (min(max(start[0], box.x0), box.x1), min(max(start[1], box.y0), box.y1))
    for k in range(1, 24):
        t = k / 24
        x, y = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
        if any(o.x0 <= x <= o.x1 and o.y0 <= y <= o.y1 for o in others):
            return True
    return False


def _search(ax: Any, renderer: Any, labels: Sequence[str], points: Sequence[tuple[float, float]],
            markers: list[Bbox], style: Sequence[dict[str, Any]]) -> list[tuple[tuple[float, float], str, str, float]]:
    """A place (offset in points, ha, va, ring) per label, or an empty list when one finds none."""
    area = ax.get_window_extent(renderer)
    placed: list[Bbox] = []
    found = []
    for k, (label, point, kw) in enumerate(zip(labels, points, style)):
        start = tuple(ax.transData.transform(point))
        others = placed + [m for j, m in enumerate(markers) if j != k]
        probe = ax.annotate(label, xy=point, xytext=(0, 0), textcoords="offset points", **kw)
        chosen = None
        for radius in RINGS_PT:
            for angle in ANGLES:
                offset = (radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle)))
                ha, va = _alignment(angle)
                probe.xyann = offset
                probe.set_ha(ha)
                probe.set_va(va)
                box = probe.get_window_extent(renderer)
                inside = area.x0 <= box.x0 and box.x1 <= area.x1 and area.y0 <= box.y0 and box.y1 <= area.y1
                if (inside and not any(boxes_overlap(box, other, 1.0) for other in placed + markers)
                        and (radius <= RINGS_PT[1] or not _leader_crosses(start, box, others))):
                    chosen = (offset, ha, va, radius)
                    placed.append(box)
                    break
            if chosen:
                break
        probe.remove()
        if chosen is None:
            return []
        found.append(chosen)
    return found


def place_labels(fig: Figure, ax: Any, labels: Sequence[str], points: Sequence[tuple[float, float]],
                 style: Sequence[dict[str, Any]] | None = None) -> list[Annotation]:
    """Label each point where the label covers no other label and no marker (see the module); returns the
    annotations drawn (one per label that found a place, in order). ``style``: text keywords per label."""
    style = list(style or [{} for _ in labels])
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # new_figure attaches one
    canvas.draw()  # lay the figure out once; frozen from here on, so the saved file is what is checked
    fig.set_layout_engine("none")
    renderer = canvas.get_renderer()
    limits = (ax.get_xlim(), ax.get_ylim())
    found: list[tuple[tuple[float, float], str, str, float]] = []
    for factor in ZOOMS:
        _zoom(ax, limits, factor)
        found = _search(ax, renderer, labels, points, marker_boxes(fig, ax, points), style)
        if found:
            break
    if not found:  # crowded beyond what zooming out helps: place greedily, leave out what finds no place
        _zoom(ax, limits, ZOOMS[-1])
        found = _greedy(ax, renderer, labels, points, marker_boxes(fig, ax, points), style)
    out = []
    for label, point, kw, place in zip(labels, points, style, found):
        if place is None:
            continue
        offset, ha, va, radius = place
        arrow = {"arrowprops": LEADER} if radius > RINGS_PT[1] else {}
        out.append(ax.annotate(label, xy=point, xytext=offset, textcoords="offset points", ha=ha, va=va,
                               annotation_clip=False, **arrow, **kw))
    return out


def _greedy(ax: Any, renderer: Any, labels: Sequence[str], points: Sequence[tuple[float, float]],
            markers: list[Bbox], style: Sequence[dict[str, Any]]) -> list[Any]:
    found: list[Any] = []
    for i in range(len(labels)):
        kept = [f for f in found if f is not None]
        trial = _search(ax, renderer, [lab for lab, f in zip(labels[:i], found) if f is not None] + [labels[i]],
                        [p for p, f in zip(points[:i], found) if f is not None] + [points[i]], markers,
                        [s for s, f in zip(style[:i], found) if f is not None] + [style[i]])
        found.append(trial[-1] if trial and len(trial) == len(kept) + 1 else None)
    return found
