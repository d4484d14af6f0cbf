"""What a benchmark returns: each figure it measured, with the target it is held to."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One measured figure. ``target`` is None for a figure that is reported but not gated."""

    name: str
    measured: float
    target: float | None
    higher_is_better: bool
    unit: str
    """``x`` for a ratio, else the unit of ``measured`` and ``target`` (``MiB``)."""

    @property
    def met(self) -> bool:
        if self.target is None:
            return True
        if self.higher_is_better:
            return self.measured >= self.target
        return self.measured <= self.target

    @property
    def target_text(self) -> str:
        """``>= 0.80``, ``<= 1,024 MiB``, or ``none`` for a figure without a target."""
        if self.target is None:
            return "none"
        sign = ">=" if self.higher_is_better else "<="
        return f"{sign} {self._show(self.target)}"

    def _show(self, value: float, digits: int = 2) -> str:
        """Ratios bare (``0.93``); other figures whole, with their unit (``640 MiB``)."""
        if self.unit == "x":
            return f"{value:.{digits}f}"
        return f"{value:,.0f} {self.unit}"

    def __str__(self) -> str:
        # A third decimal: a ratio that misses its target by a little shows by how much.
        return f"{self.name} {self._show(self.measured, 3)} (target {self.target_text})"


def setting(variable: str, full: int, quick: int, is_quick: bool) -> int:
    """A size or repeat count: the environment variable if set, else the quick or full default."""
    return int(os.environ.get(variable, str(quick if is_quick else full)))
