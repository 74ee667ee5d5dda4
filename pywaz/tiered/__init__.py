"""The tiered engine: functions start in the interpreter and move to compiled code when hot.

See :mod:`.engine` and README.md (how the thresholds were measured).
"""

from .engine import CALL_THRESHOLD, LOOP_THRESHOLD, TieredEngine

__all__ = ["CALL_THRESHOLD", "LOOP_THRESHOLD", "TieredEngine"]
