"""Decision tools on top of the experiment: the fewest resources for a target (``repatsim plan``) and how
robust a comparison's conclusions are to the assumptions' plausible ranges (``compare --robustness``).

Owns reading ``--vary`` and ``--target`` (:mod:`~sim.decisions.specs`), the search with its evidence
(:mod:`~sim.decisions.plan`, :mod:`~sim.decisions.plan_output`), the one-at-a-time robustness runs
(:mod:`~sim.decisions.robustness`) and the sentences that state their conclusions
(:mod:`~sim.decisions.sentences`). Imports ``sim.experiment`` (the runner, common random numbers),
``sim.results`` (intervals, storage), ``sim.scenario`` (overrides) and ``sim.report`` (to draw).
"""
