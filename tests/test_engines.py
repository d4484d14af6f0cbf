"""Engines: the Dask engine gives the local engine's answers (counts, groups, listings, and
byte for byte the files lint writes), survives a worker killed mid-run, and stops cleanly on
Ctrl-C; the local engine never loads Dask. A LocalCluster of 2 worker processes serves the
tests."""

from __future__ import annotations

import filecmp
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bench.corpus import write_pem_bundle
from ca_incident.app.lint import lint
from ca_incident.certs import evidence as evidence_module
from ca_incident.certs import tasks
from ca_incident.certs.evidence import collect
from ca_incident.certs.output import evidence_json
from ca_incident.certs.read import NothingCertificateLike
from ca_incident.cli import cli
from ca_incident.engines import Cluster, open_engine
from ca_incident.engines.local import LocalEngine

from .helpers import AS_OF, EXAMPLES, REPO, SHARED
from .testca import SMIME_MAILBOX_STRICT, hierarchy, issue, pem

pytest.importorskip(
    "distributed", reason="the Dask engine needs dask[distributed]: pip install -e '.[dev]'"
)

from ca_incident import lint as lint_module

_, CA, SIGNING_CA = hierarchy()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with open_engine("dask", workers=2) as engine:
        assert not isinstance(engine, LocalEngine)
        yield engine


@pytest.fixture
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Partitions of a few KiB: files cut into ranges, and records of one file on both
    workers. Planning happens in this process, so the workers need not know."""
    monkeypatch.setattr(evidence_module, "CLUSTER_RANGE", 8192)
    monkeypatch.setattr(lint_module, "CLUSTER_LINT_RANGE", 16384)
    monkeypatch.setattr(tasks, "_WINDOW", 1024)


def _certificate(serial: int) -> bytes:
    der = issue(CA, serial, with_precertificate=False).certificate
    assert der is not None
    return der


def _mixed(folder: Path) -> Path:
    """One folder of every shape the readers and pairing know: pairs (also across a
    Precertificate Signing CA), a lone precertificate, duplicates within and across files, a
    SHA-256 known alone and one its certificate stands for, a cut base64 line, a PEM block
    without its END line, text first, a .gz, a truncated DER, bytes after a DER, an
    unparseable certificate, a CRL block, and a file holding nothing certificate-like."""
    folder.mkdir()
    same = issue(CA, 0x1001)
    signed = issue(CA, 0x1002, precertificate_by=SIGNING_CA)
    lone = issue(CA, 0x1003, with_certificate=False)
    for name, der in {
        "same.pre.der": same.precertificate,
        "same.cert.der": same.certificate,
        "signed.pre.der": signed.precertificate,
        "signed.cert.der": signed.certificate,
        "lone.pre.der": lone.precertificate,
    }.items():
        assert der is not None
        (folder / name).write_bytes(der)
    ders = [_certificate(0x7000 + n) for n in range(60)]
    smime = issue(
        CA, 0x4001, smime_email="alice@example.test", policy=SMIME_MAILBOX_STRICT
    ).certificate
    assert smime is not None
    bundle = "".join(f"subject=CN {n}\n" + pem(der) for n, der in enumerate(ders[:40]))
    bundle += "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n" + pem(ders[0])
    (folder / "bundle.pem").write_text(bundle + pem(smime))
    unclosed = [pem(d) for d in ders[40:45]]
    unclosed[1] = unclosed[1].replace("-----END CERTIFICATE-----\n", "")
    (folder / "unclosed.pem").write_text("".join(unclosed))
    lines = [hashlib.sha256(d).hexdigest() for d in ders[30:35]] + ["ab" * 32, "not a hash"]
    (folder / "hashes.txt").write_text("\n".join(lines) + "\n")
    import base64

    b64 = [base64.b64encode(d).decode() for d in ders[45:55]]
    b64[3] = b64[3][: len(b64[3]) // 2]
    (folder / "lines.txt").write_text("\n".join(b64) + "\n")
    (folder / "more.pem.gz").write_bytes(gzip.compress("".join(map(pem, ders[55:])).encode()))
    (folder / "cut.der").write_bytes(ders[1][:300])
    (folder / "trailing.der").write_bytes(ders[2] + b"\x00\x01garbage")
    (folder / "broken.der").write_bytes(ders[3][:4] + bytes(len(ders[3]) - 4))
    (folder / "notes.txt").write_text("hello\n")
    wrapped = "".join(textwrap.fill(base64.b64encode(d).decode(), 64) + "\n" for d in ders[:20])
    (folder / "wrapped.txt").write_text(wrapped)
    return folder


def _summaries(paths: list[Path], cluster: Cluster, keep: bool) -> tuple[str, str]:
    local = collect(paths, as_of=AS_OF, keep=keep)
    dask = collect(paths, as_of=AS_OF, keep=keep, engine=cluster)
    return (
        json.dumps(evidence_json([local], include_list=keep), sort_keys=True, indent=1),
        json.dumps(evidence_json([dask], include_list=keep), sort_keys=True, indent=1),
    )


@pytest.mark.parametrize("keep", [False, True], ids=["summary", "listing"])
def test_summaries_are_the_local_engines(
    tmp_path: Path, cluster: Cluster, small_partitions: None, keep: bool
) -> None:
    folder = _mixed(tmp_path / "mixed")
    assert len(tasks.batches(tasks.plan([folder], 8192), 8192)) > 4
    local, dask = _summaries([folder], cluster, keep)
    assert dask == local
    document = json.loads(local)["problems"][0]
    assert document["paired"] == 2 and document["via_signing_ca"] == 1
    assert document["duplicates"] > 5 and document["fingerprints_only"] == 1


@pytest.mark.parametrize("keep", [False, True], ids=["summary", "listing"])
def test_a_hash_first_and_its_certificate_in_a_later_partition(
    tmp_path: Path, cluster: Cluster, small_partitions: None, keep: bool
) -> None:
    ders = [_certificate(0x7100 + n) for n in range(30)]
    links = tmp_path / "links.txt"
    links.write_text(
        "".join(f"https://crt.sh/?sha256={hashlib.sha256(d).hexdigest()}\n" for d in ders)
    )
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("".join(map(pem, ders)))
    for order in ([links, bundle], [bundle, links]):
        local, dask = _summaries(order, cluster, keep)
        assert dask == local


@pytest.mark.parametrize("corpus", ["zlint", "pkilint"])
def test_the_shared_corpora_summarize_alike(cluster: Cluster, corpus: str) -> None:
    folder = SHARED / "corpus" / "certs" / corpus
    if not folder.exists():
        pytest.skip(f"needs the shared corpora: {folder} is absent")
    local, dask = _summaries([folder], cluster, keep=True)
    assert dask == local


def test_examples_summarize_alike(cluster: Cluster) -> None:
    for certs in sorted(EXAMPLES.glob("*/certs")):
        local, dask = _summaries([certs], cluster, keep=True)
        assert dask == local, certs


def test_a_named_file_holding_nothing_is_the_same_error(tmp_path: Path, cluster: Cluster) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(NothingCertificateLike, match="holds nothing certificate-like"):
        collect([path], as_of=AS_OF, engine=cluster)


def test_bytes_in_memory_and_file_urls(tmp_path: Path, cluster: Cluster) -> None:
    from ca_incident.sources import Source

    ders = [_certificate(0x7200 + n) for n in range(5)]
    data = "".join(map(pem, ders)).encode()
    (tmp_path / "five.pem").write_bytes(data)
    url = f"file://{tmp_path}"
    for engine in (None, cluster):
        memory = collect([Source.from_bytes("five.pem", data)], as_of=AS_OF, engine=engine)
        assert memory.summary.count == 5
        by_url = collect([url], as_of=AS_OF, keep=True, engine=engine)
        assert by_url.summary.count == 5
        assert {r.source for r in by_url.certificates or []} == {f"{url}/five.pem"}


def _lint_alike(
    paths: list[Path], tmp_path: Path, cluster: Cluster, **options: Any
) -> dict[str, Any]:
    """Lint with both engines into two folders; the results and every file must match."""
    local_out, dask_out = tmp_path / "local", tmp_path / "dask"
    local = lint(paths, out=local_out, **options)
    dask = lint(paths, out=dask_out, engine=cluster, **options)
    documents = []
    for result, out in ((local, local_out), (dask, dask_out)):
        document = result.as_json()
        document["written"] = [str(Path(p).relative_to(out)) for p in document["written"]]
        documents.append(document)
    assert documents[1] == documents[0]
    assert sorted(p.name for p in dask_out.iterdir()) == sorted(p.name for p in local_out.iterdir())
    for name in documents[0]["written"]:
        assert filecmp.cmp(local_out / name, dask_out / name, shallow=False), name
    return documents[0]


def test_lint_is_the_local_engines(
    tmp_path: Path, cluster: Cluster, small_partitions: None
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_pem_bundle(folder / "bundle.pem", 120, seed=5)
    # Duplicates across partitions, a cut block, an S/MIME certificate (messages withheld).
    (folder / "copy.pem").write_text((folder / "bundle.pem").read_text()[:30000])
    smime = issue(CA, 0x4002, smime_email="bob@example.test", policy=SMIME_MAILBOX_STRICT)
    assert smime.certificate is not None
    (folder / "smime.pem").write_text(pem(smime.certificate))
    (folder / "hashes.txt").write_text("ab" * 32 + "\n")
    document = _lint_alike([folder], tmp_path, cluster, severity="notice")
    assert document["duplicates"] > 10 and document["undecodable"] == 2
    assert len(document["written"]) > 3


def test_lint_examples_alike(tmp_path: Path, cluster: Cluster) -> None:
    document = _lint_alike([EXAMPLES / "tls-ou-misissuance" / "certs"], tmp_path, cluster)
    assert document["certificates_linted"] == 12


def test_cli_summarize_and_lint_on_a_scheduler(tmp_path: Path, cluster: Cluster) -> None:
    from ca_incident.engines.cluster import DaskEngine

    assert isinstance(cluster, DaskEngine)
    address = str(cluster.client.scheduler_info()["address"])
    certs = str(EXAMPLES / "tls-ou-misissuance" / "certs")
    runner = CliRunner()
    arguments = ["certs", "summarize", certs, "--as-of", "2026-10-14T14:30Z", "--json"]
    local = runner.invoke(cli, arguments)
    dask = runner.invoke(cli, [*arguments, "--engine", "dask", "--scheduler", address])
    assert local.exit_code == dask.exit_code == 0, dask.output
    assert dask.stdout == local.stdout
    by_variable = runner.invoke(
        cli, [*arguments, "--engine", "dask"], env={"DASK_SCHEDULER_ADDRESS": address}
    )
    assert by_variable.stdout == local.stdout
    linted = runner.invoke(cli, ["lint", certs, "--engine", "dask", "--scheduler", address])
    assert linted.exit_code == 1 and "linted 12 certificates" in linted.stdout
    wrong = runner.invoke(cli, ["lint", certs, "--scheduler", address])
    assert wrong.exit_code == 2 and "--scheduler is for --engine dask" in wrong.stderr


def test_the_local_engine_never_imports_dask(tmp_path: Path) -> None:
    probe = textwrap.dedent(
        """
        import sys
        from ca_incident.cli import cli
        summarize = ["certs", "summarize", sys.argv[1], "--jobs", "2"]
        for arguments in (summarize, ["lint", sys.argv[1]]):
            try:
                cli(arguments, standalone_mode=False)
            except SystemExit:
                pass
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
        assert not loaded, loaded
        """
    )
    certs = str(EXAMPLES / "tls-ou-misissuance" / "certs")
    done = subprocess.run(
        [sys.executable, "-c", probe, certs], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr


def _kill_a_worker_once(engine: Cluster) -> None:
    """Kill one worker process (SIGKILL) when the second partition finishes."""
    from ca_incident.engines.cluster import DaskEngine

    assert isinstance(engine, DaskEngine)
    pids = engine.client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed: list[int] = []

    def progress(done: int, partitions: int, certificates: int) -> None:
        if done == 2 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    engine.progress = progress


def test_a_worker_killed_mid_run_changes_no_answer(tmp_path: Path, small_partitions: None) -> None:
    folder = _mixed(tmp_path / "mixed")
    write_pem_bundle(folder / "big.pem", 400, seed=9)
    local = collect([folder], as_of=AS_OF, keep=True)
    lint_inputs = tmp_path / "lint-in"
    lint_inputs.mkdir()
    write_pem_bundle(lint_inputs / "bundle.pem", 120, seed=6)
    local_lint = lint([lint_inputs], out=tmp_path / "local", severity="notice")
    with open_engine("dask", workers=2) as engine:
        assert not isinstance(engine, LocalEngine)
        _kill_a_worker_once(engine)
        dask = collect([folder], as_of=AS_OF, keep=True, engine=engine)
        assert evidence_json([dask], include_list=True) == evidence_json([local], include_list=True)
        _kill_a_worker_once(engine)
        dask_lint = lint([lint_inputs], out=tmp_path / "dask", severity="notice", engine=engine)
    assert dask_lint.problems == local_lint.problems
    assert dask_lint.certificates_linted == local_lint.certificates_linted == 120
    for path in local_lint.written:
        assert filecmp.cmp(path, tmp_path / "dask" / path.name, shallow=False), path.name


def test_ctrl_c_cancels_and_keeps_what_was_linted(tmp_path: Path) -> None:
    """A real process on a LocalCluster it starts, a real SIGINT: exit 130, the findings of
    the partitions linted so far kept, in order."""
    bundle = tmp_path / "many.pem"
    write_pem_bundle(bundle, 8000, seed=11)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ca_incident",
            "lint",
            str(bundle),
            "--out",
            str(out),
            "--severity",
            "notice",
            "--engine",
            "dask",
            "--jobs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    # Two partitions a worker are submitted at a time: with two workers, the fifth
    # partition's folder shows that one is linted.
    while time.monotonic() < deadline and not list(out.glob(".ca-incident-parts-*/000004")):
        time.sleep(0.1)
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    rows = (out / "findings.csv").read_text().splitlines()
    assert rows[0] == "sha256,code,severity,message,node_path" and len(rows) > 1
    linted = int(stdout.split("linted ")[1].split(" ")[0].replace(",", ""))
    assert 0 < linted < 8000
    pems = out / "cabf.serverauth.dv.common_name_attribute_present.pem"
    if pems.exists():
        assert pems.read_text().count("BEGIN CERTIFICATE") <= linted
    assert not list(out.glob(".ca-incident-parts-*")), "the parts are cleared"
