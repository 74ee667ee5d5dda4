"""Child-process side of the multi-process cache tests (run as a script).

    python _cacheworker.py lookup DIR MODULE_HEX
        one get_or_compile in a fresh process; prints JSON stats.
    python _cacheworker.py race DIR MODULE_HEX GO_FILE ROUNDS
        waits for GO_FILE, then ROUNDS times: a fresh CompilationCache looks
        the key up and rewrites its entry; prints JSON counts.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(os.path.dirname(HERE)), HERE]

from _cachefake import FakeEngine, expected_results, key_for, lookup, results  # noqa: E402

from pywaz.cache import CompilationCache, module_digest  # noqa: E402


def main(argv):
    mode, directory, module_hex = argv[:3]
    data = bytes.fromhex(module_hex)
    if mode == "lookup":
        engine = FakeEngine()
        cache = CompilationCache(directory)
        artifact = lookup(cache, engine, data)
        out = {"engine_compilations": engine.compilations, "stats": cache.stats()}
        out["correct"] = results(artifact) == expected_results(data)
    elif mode == "race":
        go_file, rounds = argv[3], int(argv[4])
        deadline = time.monotonic() + 30
        while not os.path.exists(go_file) and time.monotonic() < deadline:
            time.sleep(0.001)
        engine = FakeEngine()
        invalid = wrong = disk_hits = writes = 0
        for _ in range(rounds):
            cache = CompilationCache(directory)
            artifact = lookup(cache, engine, data)
            wrong += results(artifact) != expected_results(data)
            stats = cache.stats()
            invalid += stats["invalid_entries"]
            disk_hits += stats["disk_hits"]
            # Rewrite the entry every round so writers keep racing readers.
            written = cache.store.store(key_for(data), engine.name, module_digest(data), engine.serialize(artifact))
            writes += written is not None
        out = {
            "invalid": invalid,
            "wrong": wrong,
            "disk_hits": disk_hits,
            "compilations": engine.compilations,
            "writes": writes,
        }
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
