"""LEG001–LEG007: the seven topics of the 2023 Mozilla wiki (IRG v1.0), one rule per topic."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ca_incident.checks.registry import LEGACY, SEED, Context, Hit, Severity, rule
from ca_incident.checks.report import Report
from ca_incident.model import Stage
from ca_incident.templates import LEGACY_TOPICS
from ca_incident.timeutil import DATE, TIME

_MONTH_DAY = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b", re.I
)

_NEEDS = {
    1: "how the CA first became aware, with the date and time",
    2: "a date-and-time-stamped timeline",
    3: "whether issuance stopped (a pledge) or why not",
    4: "per problem, the number of certificates and the first and last issuance dates",
    5: "the certificate data: crt.sh links, fingerprints or an attachment",
    6: "how and why it happened, and how it avoided detection",
    7: "the remediation steps, each with the date it will be completed",
}
"""What a complete answer to each topic gives, as the rules check it."""


def _body(report: Report, topic: int) -> tuple[str, int] | None:
    found = report.section_text(f"topic {topic}")
    if found is None:
        return None
    text, line = found
    _, _, rest = text.partition("\n")
    # The question itself may run on after its bold label; the answer is what follows.
    return rest.strip(), line


def _complete(topic: int) -> Callable[[str, Report], bool]:
    checks: dict[int, Callable[[str, Report], bool]] = {
        1: lambda body, r: (
            bool(DATE.search(body) or _MONTH_DAY.search(body)) and bool(TIME.search(body))
        ),
        2: lambda body, r: any(e.stamp and e.stamp.clock for e in r.timeline),
        3: lambda body, r: bool(
            re.search(r"\b(?:yes|no|stopp|halt|suspend|ceas|not stop|continu)", body, re.I)
        ),
        4: lambda body, r: bool(re.search(r"\d", body)),
        5: lambda body, r: bool(
            re.search(
                r"crt\.sh|attach|sha-?256|fingerprint|serial|\.csv|n/a|not applicable", body, re.I
            )
        ),
        6: lambda body, r: len(body) > 40,
        7: lambda body, r: bool(DATE.search(body)),
    }
    return checks[topic]


def _register(topic: int) -> None:
    short, needs = LEGACY_TOPICS[topic - 1].short, _NEEDS[topic]

    def check(report: Report, context: Context) -> Iterator[Hit]:
        found = _body(report, topic)
        if found is None:
            later_present = any(
                report.section_text(f"topic {t}") is not None for t in range(topic + 1, 8)
            )
            # In a text cut short, a topic after the cut is not missing, only unseen; a
            # report that says it is preliminary answers the topics it can so far.
            if report.stage != Stage.PRELIMINARY.value and (not report.truncated or later_present):
                yield 1, 1, f"topic {topic} ({short}) is missing"
            return
        body, line = found
        last = all(report.section_text(f"topic {t}") is None for t in range(topic + 1, 8))
        if report.truncated and last:
            return
        if not _complete(topic)(body, report):
            yield line, 1, f"topic {topic} ({short}) needs {needs}"

    rule(
        f"LEG00{topic}",
        f"legacy-topic-{topic}-{short.replace(' ', '-')}",
        Severity.ERROR,
        LEGACY,
        f"legacy seven-topic report: topic {topic} ({short}) missing or incomplete",
        what=f"In a seven-topic report (2023 Mozilla wiki, IRG v1.0): topic {topic} is present "
        f"and gives {needs}. A report that says it is preliminary is judged on the topics it "
        "answers.",
        why="The seven topics were the required report content until IRG 2.0; reviewers of "
        "older bugs still read them topic by topic.",
        example=f"A report that skips topic {topic}, or answers it without {needs.split(',')[0]}.",
        fix=f"Answer topic {topic}: {needs}.",
        requirement=[
            "REQ-LEG-AWARE-1",
            "REQ-LEG-TIMELINE-2",
            "REQ-LEG-STOP-3",
            "REQ-LEG-SUMMARY-4",
            "REQ-LEG-CERTDATA-5",
            "REQ-LEG-WHY-6",
            "REQ-LEG-REMED-7",
        ][topic - 1],
        source=SEED,
        judges_absence=True,
    )(check)


for _topic in LEGACY_TOPICS:
    _register(_topic.number)
