"""The words of the field the brief uses, spelled out, and how to read the brief (plain text; the report
lays it out). The glossary is always printed whole: a reader of one brief meets the others' words too."""

from __future__ import annotations

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("NRM", "National Referral Mechanism: a country's procedure for identifying victims of trafficking and "
            "referring them to protection and support."),
    ("MDT", "Multidisciplinary team: police, social workers, labour inspectors and NGO staff who screen people "
            "to identify victims (here, the victim screening stage)."),
    ("SOP", "Standard operating procedure: a procedure agreed in advance, here between countries for consular "
            "work, so that teams do not have to improvise in a crisis."),
    ("MoU", "Memorandum of understanding: a written agreement between governments, here on who does what in a "
            "repatriation."),
    ("ETD", "Emergency travel document: a one-way travel document a consulate issues to a citizen without a "
            "passport (many people's passports were kept by their employers)."),
    ("BGF / DKBA", "Border Guard Force and Democratic Karen Buddhist Army: armed groups on the Myanmar side of "
                   "the border that held the people released from the compounds before they crossed."),
    ("IOM", "International Organization for Migration, the United Nations migration agency; it coordinates "
            "returns and appeals for their funding."),
    ("Consular team", "Officials of a person's home country (from an embassy or sent from home) who verify "
                      "identity and issue documents; ad hoc teams are mobilised after the crisis starts, "
                      "pre-agreed teams under an SOP or MoU."),
    ("Cleared to cross", "Allowed over the border: under the 2025 rule (admission “travel arranged”) only once the "
                         "person's officials are on site, their return is guaranteed and their ticket is paid; "
                         "the wait also covers a free place in the shelter and the daily cap on crossings."),
    ("Records round trip", "The wait after the identity interview while the home authorities check their "
                           "records; a shared electronic database shortens it."),
    ("Safe fund", "A standing fund that pays for tickets home from the start, instead of an appeal after the "
                  "crisis begins."),
    ("Limbo", "The time from arrival at the border until going home (or being lost); for people still waiting "
              "when the simulation ends, the time so far."),
    ("Replication", "One run of the simulation with its own random draws; results are averaged over several."),
    ("95% CI", "95% confidence interval: the range that, over many repetitions of the experiment, contains the "
               "true mean 95 times in 100; the wider it is, the less precise the estimate."),
    ("pp", "Percentage points: the difference between two percentages (60% against 55% is +5 pp)."),
)
"""(term, meaning), in the order printed."""

HOW_TO_READ: tuple[str, ...] = (
    "Each scenario is simulated several times (replications), each time with different random arrivals, "
    "delays and service times. The numbers are means over the replications.",
    "Scenarios are compared on common random numbers: replication 1 of every scenario sees the same people "
    "arriving at the same times with the same draws, so that a difference between two scenarios comes from "
    "the policy, not from luck. The difference from the reference (the first scenario) is computed "
    "replication by replication, with its 95% confidence interval (CI).",
    "A result is marked better or worse only when the CI of its difference from the reference lies wholly on "
    "one side of zero; otherwise it reads “≈ not clear”: the replications do not tell the two apart.",
    "Outcomes count everyone who arrived: people still waiting when the simulation ends count with the "
    "days they have waited so far (a lower bound), so a policy that brings stranded people home shows up.",
    "Re-trafficking and loss come from an exposure model with stated assumptions (a daily hazard while "
    "waiting, a risk after return that screening and support lower). They compare scenarios; they are never "
    "a prediction about any person.",
    "Costs are in the currency the scenario file names; they cover only the items the model counts (listed "
    "in the results table).",
)
