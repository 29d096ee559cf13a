"""`tpkit monitor`: running changes checked with always-valid confidence sequences between reports.

>>> from helpers import monitor
>>> result = monitor.monitor("nordlys")                  # every running change and KPI, looked at today
>>> print(monitor.format_table(result))

:mod:`.sequences` holds the statistics (tested without data), :mod:`.compute` the data and
the choice of sequence per design, :mod:`.narrative` every word shown.
"""

from helpers.monitor.compute import ALPHA, MonitorResult, MonitorRow, monitor, running_changes
from helpers.monitor.sequences import KEEP, MOVED, NO_EFFECT, decide, halfwidth, split_halfwidth

__all__ = ["ALPHA", "KEEP", "MOVED", "NO_EFFECT", "MonitorResult", "MonitorRow", "decide", "format_table",
           "halfwidth", "monitor", "running_changes", "split_halfwidth"]


def format_table(result: MonitorResult) -> str:
    from helpers.monitor.narrative import format_table as fmt

    return fmt(result)
