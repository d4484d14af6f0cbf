"""The rules, one module per family; importing this package registers them all."""

from ca_incident.checks.rules import (
    analysis,
    appendix,
    clocks,
    consistency,
    legacy,
    summary,
    template,
    timeline,
)

__all__ = [
    "analysis",
    "appendix",
    "clocks",
    "consistency",
    "legacy",
    "summary",
    "template",
    "timeline",
]
