"""Offline tests of the benchmark tooling: scripts/fetch_modules.py and bench/report.py.

No network: the fetch tests build a small npm-style tarball in memory and
stand in for the download, so digest checks, extraction, idempotence and
atomic replacement are exercised for real.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.util
import io
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fetch_modules = _load("_pywaz_fetch_modules", REPO / "scripts" / "fetch_modules.py")
report = _load("_pywaz_bench_report", REPO / "bench" / "report.py")

PAYLOAD = b"\0asm\1\0\0\0" + bytes(range(200))


def _tarball(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def fake_module(monkeypatch):
    tarball = _tarball("package/thing.wasm", PAYLOAD)
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    module = fetch_modules.RemoteModule(
        key="thing",
        package="@scope/thing",
        version="1.2.3",
        member="package/thing.wasm",
        filename="thing-1.2.3.wasm",
        tarball_integrity=integrity,
        sha256=hashlib.sha256(PAYLOAD).hexdigest(),
        size=len(PAYLOAD),
    )
    downloads = []

    def fake_download(url):
        downloads.append(url)
        return tarball

    monkeypatch.setattr(fetch_modules, "_download_urllib", fake_download)
    return module, downloads


def test_tarball_url_for_scoped_and_plain_packages():
    swc = fetch_modules.BY_KEY["swc"]
    assert swc.tarball_url("https://r.example/") == "https://r.example/@swc/wasm/-/wasm-1.16.18.tgz"
    esbuild = fetch_modules.BY_KEY["esbuild"]
    assert esbuild.tarball_url("https://r.example") == "https://r.example/esbuild-wasm/-/esbuild-wasm-0.28.2.tgz"


def test_recorded_digests_are_well_formed():
    for module in fetch_modules.MODULES:
        assert len(module.sha256) == 64 and int(module.sha256, 16) >= 0
        assert module.tarball_integrity.startswith("sha512-") and module.size > 1_000_000


def test_fetch_extracts_verifies_and_is_idempotent(tmp_path, fake_module):
    module, downloads = fake_module
    path = fetch_modules.fetch(module, tmp_path, registry="https://r.example")
    assert path.read_bytes() == PAYLOAD and len(downloads) == 1
    assert fetch_modules.fetch(module, tmp_path, registry="https://r.example") == path
    assert len(downloads) == 1  # present with the right digest: no second download
    path.write_bytes(b"corrupted")
    fetch_modules.fetch(module, tmp_path, registry="https://r.example")
    assert path.read_bytes() == PAYLOAD and len(downloads) == 2
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp files left


def test_fetch_rejects_wrong_digests(tmp_path, fake_module):
    module, _ = fake_module
    with pytest.raises(fetch_modules.FetchError, match="sha256"):
        fetch_modules.fetch(dataclasses.replace(module, sha256="0" * 64), tmp_path, registry="https://r.example")
    bad_integrity = "sha512-" + base64.b64encode(b"x" * 64).decode()
    with pytest.raises(fetch_modules.FetchError, match="sha512 mismatch"):
        fetch_modules.fetch(dataclasses.replace(module, tarball_integrity=bad_integrity), tmp_path, "https://r.example")
    with pytest.raises(fetch_modules.FetchError, match="no package/other.wasm"):
        fetch_modules.fetch(dataclasses.replace(module, member="package/other.wasm"), tmp_path, "https://r.example")
    assert list(tmp_path.iterdir()) == []


def _bench(kernel, runner, median, size=10):
    return {
        "group": f"kernel {kernel}",
        "extra_info": {"kernel": kernel, "runner": runner, "size": size},
        "stats": {"median": median, "min": median},
    }


def test_report_kernel_ratios_and_geometric_mean():
    benchmarks = [
        _bench("a", "pywaz-compiler", 0.5),
        _bench("a", "pywasm", 50.0),
        _bench("a", "python", 0.25),
        _bench("b", "pywaz-compiler", 0.1),
        _bench("b", "pywasm", 40.0),
        _bench("b", "pywaz-interpreter", 2.0),
    ]
    lines = report.kernel_table(benchmarks)
    row_a = next(line for line in lines if line.startswith("| a "))
    row_b = next(line for line in lines if line.startswith("| b "))
    assert "x 100" in row_a and "x 0.5 (slower)" in row_a
    assert "x 400" in row_b and "x 20" in row_b
    geo = lines[-1]
    assert "x 200" in geo  # sqrt(100 * 400)
    assert report.geometric_mean([2.0, 8.0]) == pytest.approx(4.0)
    assert report.geometric_mean([]) is None


def test_report_module_throughput_and_header():
    data = {
        "datetime": "2026-01-01T00:00:00",
        "machine_info": {"python_version": "3.11.7", "python_implementation": "CPython", "machine": "x86_64"},
        "benchmarks": [
            {
                "group": "decode+validate (large modules)",
                "extra_info": {"module": "esbuild", "bytes": 14_000_000},
                "stats": {"median": 7.0, "min": 6.0},
            }
        ],
    }
    text = report.render(data, "make bench")
    assert "CPython 3.11.7" in text and "`make bench`" in text and "2026-01-01" in text
    assert "| esbuild | 14.00 MB | 6 s | 7 s | 2 |" in text
    assert "(no kernel benchmarks in this run)" in text


def test_format_seconds():
    assert report.format_seconds(None) == "-"
    assert report.format_seconds(1.5) == "1.5 s"
    assert report.format_seconds(0.0123) == "12.3 ms"
    assert report.format_seconds(4.2e-5) == "42 µs"
    assert report.geometric_mean([1e-9, 1e9]) == pytest.approx(1.0)


def test_report_drops_ratio_columns_without_both_runners():
    lines = report.kernel_table([_bench("a", "pywaz-compiler", 0.2), _bench("a", "python", 0.1)])
    assert "compiler vs plain Python" in lines[0]
    assert "pywasm" not in lines[0] and "interpreter" not in lines[0]
    assert "x 0.5 (slower)" in lines[2]


def test_report_labels_scenarios_and_lists_other_benchmarks():
    data = {
        "benchmarks": [
            {
                "group": "cache",
                "name": "test_hit",
                "extra_info": {"module": "hello", "scenario": "disk", "bytes": 4700},
                "stats": {"median": 0.002, "min": 0.001},
            },
            {"group": "startup", "name": "test_run[pywaz]", "extra_info": {}, "stats": {"median": 0.5, "min": 0.4}},
        ]
    }
    text = report.render(data, "x")
    assert "| hello disk | 4.7 KB | 1 ms | 2 ms | 2.35 |" in text
    assert "| startup | test_run[pywaz] | 400 ms | 500 ms |" in text


realprograms = _load("_pywaz_bench_realprograms", REPO / "bench" / "realprograms.py")


def test_real_programs_name_recorded_modules_and_committed_inputs():
    assert len(realprograms.PROGRAMS) >= 8
    for program in realprograms.PROGRAMS:
        for key in program.fetch_keys():
            assert key in fetch_modules.BY_KEY, (program.name, key)
        for spec in program.inputs.values():
            if spec.startswith("native:"):
                assert spec.split(":")[1] in realprograms.BY_NAME
            elif not spec.startswith("fetch:"):
                assert (realprograms.INPUTS / spec).is_file(), spec
        assert (program.kind == "library") == (program.driver is not None)
        assert program.how()
    for wheel in fetch_modules.BENCH_WHEEL_FILES:
        assert len(wheel.sha256) == 64 and len(wheel.wheel_sha256) == 64 and wheel.size > 0
        assert wheel.wheel == f"{wheel.package.replace('-', '_')}-{wheel.version}-py3-none-any.whl"


def _outcome(status=0, stdout=b"out", stderr=b"", files=None):
    return realprograms.Outcome(1.0, 1.0, status, stdout, stderr, files or {"a": "1"})


def test_real_programs_compare_every_output_with_the_reference():
    reference = _outcome()
    assert realprograms._difference(_outcome(), reference) is None
    assert "exit status 1" in realprograms._difference(_outcome(status=1, stderr=b"boom\n"), reference)
    assert "stdout differs" in realprograms._difference(_outcome(stdout=b"other"), reference)
    assert "stderr differs" in realprograms._difference(_outcome(stderr=b"warning"), reference)
    assert "files differ: a, b" == realprograms._difference(_outcome(files={"a": "2", "b": "3"}), reference)


def test_real_programs_table_geometric_means_failures_and_skips():
    results = {
        "environment": {"date": "2026-12-06 05:00 UTC", "python": "3.11.7", "cpus": 2, "load_before": [1.0, 1.0, 1.0]},
        "rounds": 2,
        "runners": {"lazy": None, "tiered": "no tiered engine", "native": None},
        "programs": {
            "p1": {"language": "C", "bytes": 2_000_000, "cells": {
                "lazy cold": {"seconds": 2.0, "cpu_seconds": 1.5}, "lazy warm": {"seconds": 1.0, "cpu_seconds": 1.0},
                "tiered cold": {"skip": "no tiered engine"}, "tiered warm": {"skip": "no tiered engine"},
                "native cold": {"seconds": 0.5, "cpu_seconds": 0.5}, "native warm": {"seconds": 0.1, "cpu_seconds": 0.1}}},
            "p2": {"language": "Go", "bytes": 6_000_000, "cells": {
                "lazy cold": {"seconds": 8.0, "cpu_seconds": 6.0}, "lazy warm": {"error": "stdout differs"},
                "tiered cold": {"skip": "no tiered engine"}, "tiered warm": {"skip": "no tiered engine"},
                "native cold": {"seconds": 2.0, "cpu_seconds": 2.0}, "native warm": {"seconds": 0.4, "cpu_seconds": 0.4}}},
        },
    }
    text = realprograms.table(results)
    lines = text.splitlines()
    assert lines[0] == "| program | language | size | lazy cold | lazy warm | tiered cold | tiered warm | native cold | native warm |"
    assert lines[2] == "| p1 | C | 2.0 MB | 2.00 | 1.00 | – | – | 0.50 | 0.10 |"
    assert lines[3] == "| p2 | Go | 6.0 MB | 8.00 | FAIL | – | – | 2.00 | 0.40 |"
    assert lines[4] == "| geometric mean | | | 4.00 | (1.00, 1) | – | – | 1.00 | 0.20 |"
    assert "- tiered: skipped, no tiered engine" in lines
    assert "- p2, lazy warm: FAILED, stdout differs" in lines
    assert "| p1 | C | 2.0 MB | 1.50 |" in realprograms.table(results, "cpu_seconds")
