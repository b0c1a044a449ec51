"""Pure monitoring statistics (no I/O): mergeable profiles, drift tests, quality and burn rates.

Orchestration (reading captured traffic, writing results, notifying) is in
``stainless.pipeline.monitor``.
"""
