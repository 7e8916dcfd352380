"""Results: the metrics computed from a replication's tables, and how results are stored on disk.

Owns per-replication and per-nationality metrics, t-intervals and paired differences, the model against
reported figures (:mod:`sim.results.record`), atomic writes, Parquet and manifests. Imports only
``sim.scenario`` (and the package version): never the model.
"""
