"""trading's Celery tasks, for the worker's autodiscovery. The chronograph's live with it
(trading/chronograph.py), under these names, so that nothing hides a cycle between the two."""

from trading.chronograph import chronograph_sweep, section_time_events

__all__ = ["chronograph_sweep", "section_time_events"]
