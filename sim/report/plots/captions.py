"""The plot files this package draws: their one-line captions (used by the report) and reading order."""

from __future__ import annotations

# file stem (or stem prefix, ending in "_") -> one line saying what to look at; used by the report.
PLOT_CAPTIONS: dict[str, str] = {
    "network": "The sites and crossings: boxes are sites, holding sites (camps before the border) on the left, "
    "shelters (after it) on the right, each with its capacity (or no limit), a holding site's release pace "
    "when it has one (the first, if it changes), its peak occupancy and the people held there; arrows are "
    "crossings from a holding site to a shelter, each labelled with its daily capacity "
    "(or no cap) and the people who crossed there. Figures are medians of the replications. One panel for the "
    "reference, and one more for each scenario whose sites or crossings differ from it.",
    "wait_times": "How long people wait, over everyone who arrived: the share home within each number of days "
    "since arrival. Higher and further left is better; each curve ends at the share home by the end, the gap "
    "up to 100% is the people not home (the legend says how many). The reference is black and dashed.",
    "wait_by_nationality": "The same for each nationality in the reference scenario (share of the "
    "nationality's arrivals): look for curves far below the grey all-nationalities curve.",
    "limbo_curve": "The share of people still in limbo by days since their arrival (Kaplan-Meier estimate: "
    "people not home at the end count for as long as they were observed). Lower is better; the reference is "
    "black and dashed.",
    "occupancy": "People at each site over time, one panel per site (holding sites first, then shelters): "
    "a line per scenario (median of the replications) with a band (90% of them). Look for stretches above the "
    "grey dashed capacity line: overcrowding raises exposure. The reference's median line is black and dashed.",
    "returned_over_time": "How many people had gone home by each date (mean of the replications). "
    "Steeper and earlier is better; a curve that levels off below the others leaves people stranded.",
    "returned_by_nationality": "Share of each nationality already home by each date in the reference "
    "scenario: flat curves show nationalities left waiting.",
    "stage_times": "Where the time goes: the mean days in limbo per person, over everyone who arrived, split by "
    "stage (colour) and by what people wait for there (pattern): queueing, being served, the records round "
    "trip, being cleared to cross, ticket money, a seat. Long segments are the bottlenecks.",
    "exposure": "Expected people re-trafficked or lost, with 95% confidence intervals, split into while "
    "waiting at the border and after return; the reference's bars are outlined in black.",
    "cost_vs_exposure": "Cost against expected people re-trafficked or lost (whiskers: 95% CIs; the reference "
    "in black with dashed whiskers). Down and to the left is better on both counts.",
    "sweep_": "Headline results as one setting changes, with 95% confidence intervals (bands; whiskers for "
    "false/true or named settings). Look for where the curve flattens: more of that setting stops paying.",
    "sweep_heatmap": "A headline result over two parameters at once: each cell is the mean of the "
    "replications at that setting.",
    "sensitivity": "Which parameters move the results most: longer bars matter more, the sign shows the "
    "direction.",
    "record": "The reference scenario against the reported figures (points, with bars from low to high; "
    "filled when the range meets the model's band): lines are the model's mean, bands 90% of replications.",
}

# the order figures are drawn in and read in the report; "sweep_" stands for one figure per swept parameter
PLOT_ORDER = ("network", "wait_times", "limbo_curve", "wait_by_nationality", "occupancy", "returned_over_time",
              "returned_by_nationality", "stage_times", "exposure", "cost_vs_exposure", "sweep_",
              "sweep_heatmap", "sensitivity", "record")


def is_our_plot(stem: str) -> bool:
    """Whether a file stem is one this package draws (so a stale one may be deleted)."""
    return stem in PLOT_ORDER or stem.startswith("sweep_")


def caption_for(stem: str) -> str:
    """The one-line caption of a plot file stem (longest matching key of PLOT_CAPTIONS)."""
    if stem in PLOT_CAPTIONS:
        return PLOT_CAPTIONS[stem]
    matches = [k for k in PLOT_CAPTIONS if k.endswith("_") and stem.startswith(k)]
    if matches:
        return PLOT_CAPTIONS[max(matches, key=len)]
    return "A figure drawn from the stored results."


def plot_sort_key(stem: str) -> tuple[int, str]:
    """Reading order of plot files: the order they are drawn in, unknown ones last."""
    for i, key in enumerate(PLOT_ORDER):
        if stem == key:
            return (i, stem)
    for i, key in enumerate(PLOT_ORDER):
        if key.endswith("_") and stem.startswith(key) and stem != "sweep_heatmap":
            return (i, stem)
    return (len(PLOT_ORDER), stem)
