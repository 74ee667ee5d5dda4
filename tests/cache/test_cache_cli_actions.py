"""``pywaz cache ls|show|verify|prune|clear`` on a real cache made by ahead-of-time compilation.

Every action is run in text and ``--json`` form; ``verify`` must name each
corruption the cache issue defines; bad input is one error line and a non-zero exit.
"""

import hashlib
import json
import os
import struct
import subprocess
import sys
import time

import msgpack
import pytest

from pywaz.api import CompileOptions
from pywaz.cache import CompilationCache
from pywaz.cache.cli import compile_ahead, main
from pywaz.cache.entry import PREAMBLE_SIZE, decode_entry, encode_preamble
from pywaz.cache.payload import ArtifactPayload
from pywaz.compiler.engine import CompilerEngine
from pywaz.text import wat2wasm

MODULE_A = """
(module
  (func (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "five") (result i32) i32.const 5)
  (func (export "twice") (param i32) (result i32) local.get 0 call 0 call 0))
"""
MODULE_B = '(module (func (export "seven") (result i32) i32.const 7))'

ENTRY_FIELDS = {
    "key": str,
    "module_sha256": str,
    "size": int,
    "created": float,
    "last_used": float,
    "pywaz_version": str,
    "python_version": str,
    "cache_tag": str,
    "engine": str,
    "functions": int,
    "compiled": int,
    "path": str,
}


def compile_into(cache_dir, wat):
    """What ``pywaz compile`` does (its argument handling is tested in test_cache_cli.py): every function stored."""
    with CompilationCache(cache_dir) as cache:
        report = compile_ahead(wat2wasm(wat), cache, CompilerEngine(), CompileOptions())
    assert report["size"] and report["unsupported"] == 0
    return report["key"]


@pytest.fixture
def cache(cache_dir):
    """A cache directory holding module A (3 functions) and module B (1 function), both fully compiled."""
    store = CompilationCache(cache_dir).store
    for age, wat in ((200, MODULE_A), (100, MODULE_B)):  # A used least recently, without relying on clock ticks
        path = store.path_for(compile_into(cache_dir, wat))
        os.utime(path, (time.time() - age,) * 2)
    return cache_dir


def run_json(capsys, *argv, status=0):
    assert main([*argv, "--json"]) == status
    captured = capsys.readouterr()
    assert captured.err == ""
    return json.loads(captured.out)


def check_entry_shape(entry, on_disk=True):
    assert set(entry) == set(ENTRY_FIELDS)
    for name, kind in ENTRY_FIELDS.items():
        assert isinstance(entry[name], kind), (name, entry[name])
    assert len(entry["key"]) == 64 and len(entry["module_sha256"]) == 64
    if on_disk:
        assert entry["size"] == os.path.getsize(entry["path"])


def entry_by_functions(entries, count):
    (entry,) = [e for e in entries if e["functions"] == count]
    return entry


def test_ls_json_lists_every_field(cache, capsys):
    listing = run_json(capsys, "ls", "--cache-dir", cache)
    assert set(listing) == {"cache_dir", "count", "total_bytes", "entries"}
    assert listing["count"] == 2 and len(listing["entries"]) == 2
    for entry in listing["entries"]:
        check_entry_shape(entry)
        assert entry["engine"] == "compiler" and entry["compiled"] == entry["functions"]
        assert abs(entry["created"] - time.time()) < 600  # written by the fixture just now
    assert listing["total_bytes"] == sum(e["size"] for e in listing["entries"])
    assert sorted(e["functions"] for e in listing["entries"]) == [1, 3]
    a = entry_by_functions(listing["entries"], 3)
    assert a["module_sha256"] == hashlib.sha256(wat2wasm(MODULE_A)).hexdigest()


def test_ls_table_is_aligned_and_list_is_an_alias(cache, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["ls", "--cache-dir", cache]) == 0
    out = capsys.readouterr().out
    assert main(["list", "--cache-dir", cache]) == 0
    assert capsys.readouterr().out == out
    header, *rows, summary = out.splitlines()
    for column in ("KEY", "MODULE", "SIZE", "CREATED", "LAST USED", "PYWAZ", "PYTHON", "ENGINE", "COMPILED"):
        assert column in header
    assert len(rows) == 2 and summary.startswith("2 entries")
    # Aligned: every column starts at the same offset in the header and in each row.
    engine_at = header.index("ENGINE")
    assert all(row[engine_at:].startswith("compiler") for row in rows)
    assert sorted(row.split()[-1] for row in rows) == ["1/1", "3/3"]
    assert "\x1b[" not in out  # not a terminal: no colour


def test_colour_only_when_asked_and_never_with_no_color(cache, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["ls", "--cache-dir", cache, "--color", "always"]) == 0
    assert "\x1b[1m" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["ls", "--cache-dir", cache, "--color", "auto"]) == 0
    assert "\x1b[" not in capsys.readouterr().out


def test_show_by_unique_prefix_prints_every_header_field(cache, capsys):
    entries = run_json(capsys, "ls", "--cache-dir", cache)["entries"]
    a = entry_by_functions(entries, 3)
    shown = run_json(capsys, "show", a["key"][:10], "--cache-dir", cache)
    for name in ENTRY_FIELDS:
        assert shown[name] == a[name], name
    assert shown["valid"] is True and shown["reason"] is None
    assert shown["compiled"] == 3 and shown["not_compiled"] == 0
    assert len(shown["metadata_sha256"]) == 64 and shown["payload_length"] < shown["size"]
    assert 0 < shown["code_length"] < shown["payload_length"]
    assert shown["python_magic"] and isinstance(shown["artifact_format"], int)
    assert shown["sources_stored"] is False
    assert main(["show", a["key"][:10], "--cache-dir", cache]) == 0
    text = capsys.readouterr().out
    for label in ("key", "module sha256", "created", "last used", "pywaz", "Python", "engine", "not compiled"):
        assert any(line.startswith(label + " ") for line in text.splitlines()), label
    assert a["key"] in text and a["module_sha256"] in text and "valid" in text.splitlines()[-1]


def test_show_counts_functions_a_lazy_run_left_uncompiled(cache_dir, capsys):
    key = compile_into(cache_dir, MODULE_A)
    store = CompilationCache(cache_dir).store
    with open(store.path_for(key), "rb") as f:
        header, payload = decode_entry(f.read(), key)
    # The entry a lazy run that only called function 1 would have stored.
    partial = ArtifactPayload(payload.metadata, (None, payload.code_blobs[1], None), payload.sources)
    assert store.store(key, header.engine, header.module_sha256, partial)
    shown = run_json(capsys, "show", key[:8], "--cache-dir", cache_dir)
    assert (shown["functions"], shown["compiled"], shown["not_compiled"], shown["valid"]) == (3, 1, 2, True)
    assert run_json(capsys, "ls", "--cache-dir", cache_dir)["entries"][0]["compiled"] == 1


def test_show_unknown_and_ambiguous_keys(cache, capsys):
    assert main(["show", "zz", "--cache-dir", cache]) == 66
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no entry with key 'zz'" in err
    # The empty prefix matches both entries: ambiguous is refused, not a guess.
    assert main(["show", "", "--cache-dir", cache]) == 2
    assert "ambiguous (2 entries match)" in capsys.readouterr().err


@pytest.mark.parametrize("action", [["ls"], ["show", "ab"], ["verify"], ["prune", "--max-bytes", "0"], ["clear"]])
def test_missing_cache_dir_is_one_error_line(action, tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main([*action, "--cache-dir", str(missing)]) == 66
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"pywaz cache: no cache directory at {missing}\n"
    assert not missing.exists()


def test_prune_reports_what_it_removed(cache, capsys):
    before = run_json(capsys, "ls", "--cache-dir", cache)["entries"]
    newest = before[-1]
    report = run_json(capsys, "prune", "--max-bytes", str(newest["size"]), "--cache-dir", cache)
    assert [e["key"] for e in report["removed"]] == [before[0]["key"]]
    check_entry_shape(report["removed"][0], on_disk=False)
    assert report["removed_bytes"] == before[0]["size"] and report["max_bytes"] == newest["size"]
    assert (report["remaining_count"], report["remaining_bytes"]) == (1, newest["size"])
    assert not os.path.exists(before[0]["path"]) and os.path.exists(newest["path"])
    assert main(["prune", "--max-bytes", "0", "--cache-dir", cache]) == 0
    out = capsys.readouterr().out
    assert newest["key"][:16] in out and out.splitlines()[-1] == f"removed 1 entries ({newest['size']} bytes)"


def test_prune_needs_exactly_one_size(cache, capsys):
    assert main(["prune", "--cache-dir", cache]) == 2
    assert "exactly one size" in capsys.readouterr().err
    assert main(["prune", "1G", "--max-bytes", "1G", "--cache-dir", cache]) == 2
    assert "exactly one size" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["prune", "--max-bytes", "-5", "--cache-dir", cache])


def test_clear_reports_what_it_removed(cache, capsys):
    before = run_json(capsys, "ls", "--cache-dir", cache)["entries"]
    report = run_json(capsys, "clear", "--cache-dir", cache)
    assert sorted(e["key"] for e in report["removed"]) == sorted(e["key"] for e in before)
    assert report["removed_bytes"] == sum(e["size"] for e in before)
    assert run_json(capsys, "ls", "--cache-dir", cache)["count"] == 0
    assert main(["clear", "--cache-dir", cache]) == 0
    assert capsys.readouterr().out == "removed 0 entries (0 bytes)\n"


# -- verify: each corruption case of the cache issue ----------------------------------------


def _rewrite_header(data: bytes, **changes) -> bytes:
    """``data`` with header fields changed and the header digest recomputed to agree."""
    _, _, flags, length = struct.unpack_from("<4sHHI", data)
    header = msgpack.unpackb(data[PREAMBLE_SIZE : PREAMBLE_SIZE + length], raw=False)
    header.update(changes)
    packed = msgpack.packb(header, use_bin_type=True)
    return encode_preamble(flags, packed) + packed + data[PREAMBLE_SIZE + length :]


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2 + 40  # inside the payload, past the header
    return data[:middle] + bytes([data[middle] ^ 0x10]) + data[middle + 1 :]


CORRUPTIONS = {
    "truncated": (lambda d: d[:-20], "entry is"),
    "bit-flipped": (_flip_middle, "digest mismatch"),
    "wrong magic": (lambda d: b"XXXX" + d[4:], "bad magic"),
    "other Python magic": (lambda d: _rewrite_header(d, python_magic=b"\x01\x02\r\n"), "another Python"),
    "other pywaz version": (lambda d: _rewrite_header(d, pywaz="0.0.0-old"), "written by pywaz 0.0.0-old"),
    "garbage": (lambda d: os.urandom(len(d)), "bad magic"),
    "empty": (lambda d: b"", "truncated preamble"),
    "wrong key echo": (lambda d: _rewrite_header(d, key="0" * 64), "key echo"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_verify_names_each_corruption(case, cache, capsys):
    corrupt, reason = CORRUPTIONS[case]
    entries = CompilationCache(cache).entries()
    target, other = entries
    with open(target.path, "rb") as f:
        data = f.read()
    with open(target.path, "wb") as f:
        f.write(corrupt(data))
    report = run_json(capsys, "verify", "--keep", "--cache-dir", cache, status=1)
    assert (report["checked"], report["valid"], report["removed"]) == (2, 1, 0)
    (bad,) = report["invalid"]
    assert bad["path"] == target.path and bad["key"] == target.key and reason in bad["reason"]
    assert main(["verify", "--cache-dir", cache]) == 1
    out = capsys.readouterr().out
    assert f"invalid: {target.path}: " in out and reason in out
    assert out.splitlines()[-1] == "2 checked, 1 valid, 1 invalid, 1 removed"
    assert not os.path.exists(target.path) and os.path.exists(other.path)
    assert run_json(capsys, "verify", "--cache-dir", cache) == {
        "cache_dir": cache,
        "checked": 1,
        "valid": 1,
        "removed": 0,
        "invalid": [],
    }


def test_verify_detects_a_code_blob_that_does_not_unmarshal(cache_dir, capsys):
    key = compile_into(cache_dir, MODULE_B)
    store = CompilationCache(cache_dir).store
    with open(store.path_for(key), "rb") as f:
        header, payload = decode_entry(f.read(), key)
    assert store.store(key, header.engine, header.module_sha256, ArtifactPayload(payload.metadata, (b"not marshal",)))
    report = run_json(capsys, "verify", "--keep", "--cache-dir", cache_dir, status=1)
    assert report["invalid"][0]["key"] == key and "unmarshal" in report["invalid"][0]["reason"]


def test_pywaz_compile_then_cache_ls_and_show_through_the_pywaz_command(tmp_path):
    module = tmp_path / "a.wasm"
    module.write_bytes(wat2wasm(MODULE_A))
    cache_dir = str(tmp_path / "cache")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    def pywaz(*argv):
        return subprocess.run(
            [sys.executable, "-m", "pywaz", *argv], capture_output=True, text=True, check=False, cwd=repo
        )

    compiled = pywaz("compile", str(module), "--cache-dir", cache_dir)
    assert compiled.returncode == 0, compiled.stderr
    key = next(line.split()[-1] for line in compiled.stdout.splitlines() if line.strip().startswith("key:"))
    listing = pywaz("cache", "ls", "--cache-dir", cache_dir, "--json")
    assert listing.returncode == 0 and [e["key"] for e in json.loads(listing.stdout)["entries"]] == [key]
    shown = pywaz("cache", "show", key[:12], "--cache-dir", cache_dir)
    assert shown.returncode == 0 and key in shown.stdout and shown.stdout.rstrip().endswith("valid")
    missing = pywaz("cache", "show", "ffff", "--cache-dir", str(tmp_path / "nope"))
    assert missing.returncode == 66 and missing.stdout == "" and len(missing.stderr.splitlines()) == 1
