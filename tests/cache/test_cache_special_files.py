"""Whatever sits where an entry should be -- a FIFO, a socket, a device, a symlink to one -- is a miss.

Nothing may block: before the fix, ``open()`` of a FIFO waited forever for a
writer, hanging every loader and ``pywaz cache ls``/``verify``. Each action
runs in a worker thread joined with a generous bound, so a regression fails
the test (and the FIFO is then opened for writing to release the thread)
instead of hanging the suite.
"""

import json
import logging
import os
import socket
import stat
import threading

import pytest

from _cachefake import FakeEngine, expected_results, key_for, lookup, results
from pywaz.cache import CompilationCache, DiskStore
from pywaz.cache.cli import main

DATA = b"\0asm special file test module"
KEY = key_for(DATA)
HANG_BOUND = 60.0  # seconds: far beyond any real run; only a blocked open gets near it


def _make_fifo(path):
    os.mkfifo(path, 0o600)


def _make_socket(path):
    # AF_UNIX paths are limited to ~108 bytes; bind relative to the shard directory instead.
    here = os.getcwd()
    os.chdir(os.path.dirname(path))
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(os.path.basename(path))
    finally:
        os.chdir(here)
    return sock


def _make_device(path):
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is


def _make_symlink_to_null(path):
    os.symlink(os.devnull, path)


def _make_symlink_to_fifo(path):
    target = path + ".fifo"
    os.mkfifo(target, 0o600)
    os.symlink(target, path)


MAKERS = {
    "fifo": _make_fifo,
    "socket": _make_socket,
    "character device": _make_device,
    "symlink to /dev/null": _make_symlink_to_null,
    "symlink to a fifo": _make_symlink_to_fifo,
}


@pytest.fixture(params=sorted(MAKERS))
def special(request, cache_dir):
    """The entry path for KEY with a non-regular file in its place; yields ``(kind, path)``."""
    kind = request.param
    if kind in ("fifo", "symlink to a fifo") and not hasattr(os, "mkfifo"):
        pytest.skip("no os.mkfifo on this platform")
    if kind == "socket" and not hasattr(socket, "AF_UNIX"):
        pytest.skip("no AF_UNIX sockets on this platform")
    if kind == "character device" and not hasattr(os, "mknod"):
        pytest.skip("no os.mknod on this platform")
    store = DiskStore(cache_dir)
    path = store.path_for(KEY)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    try:
        keep = MAKERS[kind](path)
    except PermissionError:
        pytest.skip(f"cannot create a {kind} here (not permitted)")
    yield kind, path
    if keep is not None:
        keep.close()


def run_bounded(action, path):
    """``action()`` in a thread; fail (and unblock it) if it does not finish within HANG_BOUND."""
    outcome = {}

    def target():
        try:
            outcome["value"] = action()
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(HANG_BOUND)
    if worker.is_alive():
        fifo = path if stat.S_ISFIFO(os.stat(path).st_mode) else None
        if fifo is not None:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # a writer releases a blocked reader
        worker.join(HANG_BOUND)
        pytest.fail(f"{action} blocked on a non-regular cache file")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def test_a_loader_misses_recompiles_and_replaces_it(special, cache_dir, caplog):
    kind, path = special
    caplog.set_level(logging.DEBUG, logger="pywaz.cache")
    engine = FakeEngine()

    def use_cache():
        with CompilationCache(cache_dir) as cache:
            artifact = lookup(cache, engine, DATA)
            return results(artifact), cache.stats()

    answers, stats = run_bounded(use_cache, path)
    assert answers == expected_results(DATA)
    assert (engine.compilations, stats["disk_hits"], stats["disk_writes"]) == (1, 0, 1)
    assert stat.S_ISREG(os.lstat(path).st_mode), f"the {kind} was not replaced by an entry"
    reasons = [r.getMessage() for r in caplog.records if "discarding invalid entry" in r.getMessage()]
    assert len(reasons) == 1 and ("not a regular file" in reasons[0] or "unreadable" in reasons[0])
    again = FakeEngine()
    with CompilationCache(cache_dir) as cache:
        assert results(lookup(cache, again, DATA)) == expected_results(DATA)
    assert again.compilations == 0


def test_the_store_reports_a_miss_and_deletes_only_that_file(special, cache_dir):
    kind, path = special
    store = DiskStore(cache_dir)
    assert run_bounded(lambda: store.load(KEY), path) is None
    assert not os.path.lexists(path)
    assert store.invalid_count == 1


def test_listing_skips_it(special, cache_dir):
    kind, path = special
    store = DiskStore(cache_dir)
    assert run_bounded(store.entries, path) == []
    assert os.path.lexists(path)  # listing never deletes


def test_verify_reports_and_removes_it(special, cache_dir):
    kind, path = special
    report = run_bounded(lambda: DiskStore(cache_dir).verify(remove_invalid=True), path)
    assert (report.checked, report.valid, report.removed) == (1, 0, 1)
    ((where, reason),) = report.invalid
    assert where == path
    assert "not a regular file" in reason or "Too many levels of symbolic links" in reason or "No such" in reason
    assert not os.path.lexists(path)


def test_the_cli_lists_and_verifies_without_blocking(special, cache_dir, capsys):
    kind, path = special
    assert run_bounded(lambda: main(["ls", "--cache-dir", cache_dir, "--json"]), path) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["count"] == 0
    assert run_bounded(lambda: main(["verify", "--keep", "--cache-dir", cache_dir, "--json"]), path) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["checked"], report["valid"]) == (1, 0) and report["invalid"][0]["path"] == path
    assert os.path.lexists(path)  # --keep
    assert run_bounded(lambda: main(["prune", "--max-bytes", "0", "--cache-dir", cache_dir]), path) == 0
    capsys.readouterr()
    assert not os.path.lexists(path)
