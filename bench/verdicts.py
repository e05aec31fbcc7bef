"""Each bench's figures beside their targets, one line each, and the exit code they add up to.

A target is a figure a bench is meant to reach (seconds, rates, queries): judged in full mode,
printed as "(not judged in --quick)" in quick mode, where the data is too small to mean anything.
A check is something that must hold at any size (runs stored == expected, a page answers 200):
judged in both modes. The exit code is 1 when a judged target was missed or a check failed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
}


class Verdicts:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.met = self.missed = self.failed = 0

    def figure(self, label: str, value: float, op: str, target: float, unit: str = "", *, digits: int = 1) -> bool:
        """Print `label: value (target op target) met|MISSED`; True unless a judged target was missed."""
        shown = f"{value:,.{digits}f}{_spaced(unit)}"
        if self.quick:
            print(f"{label}: {shown} (not judged in --quick)")
            return True
        ok = COMPARE[op](value, target)
        print(f"{label}: {shown} (target {op} {target:,g}{_spaced(unit)}) {'met' if ok else 'MISSED'}")
        if ok:
            self.met += 1
        else:
            self.missed += 1
        return ok

    def check(self, label: str, ok: bool, detail: str = "") -> bool:
        """Print `label: detail ok|FAILED`, judged in every mode."""
        print(f"{label}: {detail + ' ' if detail else ''}{'ok' if ok else 'FAILED'}")
        if not ok:
            self.failed += 1
        return ok

    @staticmethod
    def skipped(label: str, why: str) -> None:
        print(f"{label}: skipped ({why})")

    def exit_code(self) -> int:
        """Print the tally; 1 when a check failed or (outside --quick) a target was missed."""
        targets = "targets not judged (--quick)" if self.quick else f"targets: {self.met} met, {self.missed} MISSED"
        print(f"== {targets}; checks: {self.failed} FAILED" if self.failed else f"== {targets}; checks: all ok")
        return 1 if self.failed or self.missed else 0


def _spaced(unit: str) -> str:
    return unit if unit in ("", "%", "x", "/s") else f" {unit}"
