"""Find the affected certificates: lint with pkilint, many certificates, in parallel.

pkilint's own CLI builds a validator for every certificate (about 7 a second). Here each worker
builds one validator container per certificate type, the first time it meets that type, and
reuses it: the speed of pkilint itself. Types come from pkilint: the TLS certificate type from
``serverauth.determine_certificate_type``; for S/MIME the validation level and generation from
the policy OIDs, else pkilint's guess. Findings are filtered the way pkilint's CLI filters
them. A certificate pkilint cannot decode is reported in its own group, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ca_incident.certs import tasks
from ca_incident.certs.read import MAX_BYTES, Item
from ca_incident.certs.record import lenient_parsing, read_certificate
from ca_incident.sources import SourceLike

PROFILES = ("auto", "tls", "smime", "etsi", "pkix")
SEVERITIES = ("error", "warning", "notice")
UNDECODABLE = "undecodable"


@dataclass(frozen=True)
class LintFinding:
    code: str
    severity: str
    """pkilint's severity name: FATAL, ERROR, WARNING, NOTICE or INFO."""
    message: str
    node_path: str
    validator: str


@dataclass(frozen=True)
class Linted:
    """One certificate's outcome, as a worker sends it back."""

    source: str
    index: int
    sha256: str | None
    not_before: datetime | None
    certificate_type: str
    findings: tuple[LintFinding, ...]
    pem: str | None = None
    """Kept only when the certificate has findings to write to --out."""
    error: str | None = None
    """Why pkilint could not decode it (or why it is not a certificate)."""


class Linter:
    """pkilint with one validator container per certificate type, built on first use."""

    def __init__(self, profile: str = "auto") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        self.profile = profile
        self._containers: dict[tuple[str, Any], tuple[Any, list[Any]]] = {}

    def _container(self, key: tuple[str, Any]) -> tuple[Any, list[Any]]:
        found = self._containers.get(key)
        if found is None:
            found = self._containers[key] = _build_container(*key)
        return found

    def lint(
        self,
        der: bytes,
        name: str = "certificate",
        kind: str = "unknown",
        certificate_type: tuple[str, Any] | None = None,
    ) -> tuple[str, list[LintFinding]]:
        """The certificate's type and findings; raises when pkilint cannot decode it.

        ``certificate_type`` forces the type, as ``("tls", CertificateType)`` or
        ``("smime", (ValidationLevel, Generation))``, instead of detecting it.
        """
        from pkilint import finding_filter, loader

        document = loader.load_der_certificate(der, name)
        document.decode()
        if certificate_type is not None:
            key, label = certificate_type, f"{certificate_type[0]}:{certificate_type[1]}"
        else:
            profile = self.profile
            if profile == "auto":
                profile = {"tls": "tls", "smime": "smime"}.get(kind, "pkix")
            key, label = _type_key(profile, document)
        container, filters = self._container(key)
        results = container.validate(document.root)
        if filters:
            results, _ = finding_filter.filter_results(filters, results)
        findings = [
            LintFinding(
                description.finding.code,
                description.finding.severity.name,
                description.message or "",
                result.node.path,
                str(result.validator),
            )
            for result in results
            for description in result.finding_descriptions
        ]
        return label, findings


def _type_key(profile: str, document: Any) -> tuple[tuple[str, Any], str]:
    if profile == "tls":
        from pkilint.cabf import serverauth

        certificate_type = serverauth.determine_certificate_type(document)
        return ("tls", certificate_type), f"tls:{certificate_type.to_option_str}"
    if profile == "smime":
        from pkilint.cabf import smime

        level_generation = smime.determine_validation_level_and_generation(document)
        if level_generation is None:
            level_generation = smime.guess_validation_level_and_generation(document)
        level, generation = level_generation
        return ("smime", (level, generation)), f"smime:{level}-{generation}".lower()
    if profile == "etsi":
        from pkilint import etsi

        certificate_type = etsi.determine_certificate_type(document)
        return ("etsi", certificate_type), f"etsi:{certificate_type.to_option_str}"
    return ("pkix", None), "pkix"


def _build_container(profile: str, certificate_type: Any) -> tuple[Any, list[Any]]:
    from pkilint.pkix import certificate

    if profile == "tls":
        from pkilint.cabf import serverauth

        container = certificate.create_pkix_certificate_validator_container(
            serverauth.create_decoding_validators(),
            serverauth.create_validators(certificate_type),
        )
        return container, list(serverauth.create_serverauth_finding_filters(certificate_type))
    if profile == "smime":
        from pkilint.cabf import smime

        level, generation = certificate_type
        container = certificate.create_pkix_certificate_validator_container(
            smime.create_decoding_validators(),
            smime.create_subscriber_validators(level, generation),
        )
        return container, []
    if profile == "etsi":
        from pkilint import etsi

        container = certificate.create_pkix_certificate_validator_container(
            etsi.create_decoding_validators(certificate_type),
            etsi.create_validators(certificate_type),
        )
        return container, list(etsi.create_etsi_finding_filters(certificate_type))
    from pkilint.pkix import extension, name

    container = certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(
            name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS
        ),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )
    return container, []


_LINTERS: dict[str, Linter] = {}


def _linter(profile: str) -> Linter:
    """This process's linter for the profile: built once, reused for every task."""
    found = _LINTERS.get(profile)
    if found is None:
        found = _LINTERS[profile] = Linter(profile)
    return found


def _pem(der: bytes) -> str:
    import base64

    body = base64.encodebytes(der).decode()
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"


def lint_task(task: tasks.Task, profile: str) -> tuple[list[Linted | Item], int]:
    """Read and lint one task where it runs; positions are the task's own. What is not a
    certificate comes back as its item, to be placed in its file before it is reported."""
    items, newlines = tasks.run(task)
    linter = _linter(profile)
    out: list[Linted | Item] = []
    with lenient_parsing():
        out += _lint_items(items, linter)
    return out, newlines


def _lint_items(items: Iterator[Item], linter: Linter) -> Iterator[Linted | Item]:
    for item in items:
        if item.der is None:
            yield item
            continue
        record = read_certificate(item.der, item.source, item.index)
        linted = Linted(item.source, item.index, record.sha256, record.not_before, UNDECODABLE, ())
        try:
            label, findings = linter.lint(item.der, Path(item.source).name, record.kind)
        except Exception as exc:  # pkilint's decoder raises many kinds; each is a finding here
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            yield replace(linted, pem=_pem(item.der), error=message)
            continue
        yield replace(
            linted,
            certificate_type=label,
            findings=tuple(findings),
            pem=_pem(item.der) if findings else None,
        )


LINT_RANGE = 128 << 10
"""Bytes of a bundle per lint task: about a hundred certificates, half a second of pkilint."""


def iter_linted(
    inputs: Sequence[SourceLike], profile: str, jobs: int, max_bytes: int = MAX_BYTES
) -> Iterator[Linted]:
    """Every input's certificates linted, in input order; what is not a certificate comes as
    an undecodable outcome saying why."""
    work = partial(lint_task, profile=profile)
    planned = tasks.plan(inputs, LINT_RANGE, max_bytes)
    outcomes = tasks.run_tasks(planned, work, work, jobs)
    for outcome, position in tasks.in_file_order(outcomes):
        if isinstance(outcome, Linted):
            yield replace(outcome, index=outcome.index + position.index)
            continue
        item = tasks.place(outcome, position)
        reason = item.message or (
            "a fingerprint only: nothing to lint" if item.sha256 else "unreadable"
        )
        yield Linted(item.source, item.index, item.sha256, None, UNDECODABLE, (), error=reason)
