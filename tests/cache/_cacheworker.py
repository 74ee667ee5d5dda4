"""Child-process side of the multi-process cache tests (run as a script).

    python _cacheworker.py lookup DIR MODULE_HEX
        one get_or_compile in a fresh process; prints JSON stats.
    python _cacheworker.py race DIR MODULE_HEX GO_FILE ROUNDS
        waits for GO_FILE, then ROUNDS times: a fresh CompilationCache looks
        the key up and rewrites its entry; prints JSON counts.
    python _cacheworker.py embed DIR WASM_FILE EXPORTS [--go GO_FILE] [--end HOW] [--file-regions]
        an embedder: a lazily compiling Runtime on a disk cache calls each
        export in the comma-separated EXPORTS (no arguments) and never calls
        close(); prints JSON (results, functions compiled here, which
        functions have code), then ends HOW: "return" (default), "exit"
        (sys.exit(3)) or "raise" (an uncaught exception). --go waits for
        GO_FILE first; --file-regions makes a disk hit read code lazily from
        the open entry file even for a small module.
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
    if mode == "embed":
        return embed(directory, argv[2], argv[3].split(","), argv[4:])
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


_KEEP = []  # the embedder's objects stay alive until the interpreter exits


def embed(directory, wasm_file, exports, options):
    import pywaz
    import pywaz.cache.storedcode
    import pywaz.compiler.artifact as artifact_module

    if "--go" in options:
        go_file = options[options.index("--go") + 1]
        deadline = time.monotonic() + 60
        while not os.path.exists(go_file) and time.monotonic() < deadline:
            time.sleep(0.001)
    # "--file-regions": every region is read from its file on demand; the default now, nothing to set.
    end = options[options.index("--end") + 1] if "--end" in options else "return"
    compiled = []
    real = artifact_module.compile_function
    artifact_module.compile_function = lambda validated, index, *rest: compiled.append(index) or real(validated, index, *rest)
    with open(wasm_file, "rb") as f:
        data = f.read()
    runtime = pywaz.Runtime(engine="compiler", compile_mode="lazy", cache=pywaz.CompilationCache(directory))
    instance = runtime.instantiate(data)
    results = {name: instance.exports[name]() for name in exports}
    artifact = next(iter(runtime._compiled)).artifact
    out = {
        "results": results,
        "stats": runtime.stats(),
        "compiled_here": sorted(compiled),
        "has_code": [i for i in range(len(artifact.functions)) if artifact.has_code(i)],
    }
    _KEEP.append((runtime, instance))
    print(json.dumps(out), flush=True)
    if end == "exit":
        sys.exit(3)
    if end == "raise":
        raise RuntimeError("the embedder crashed (on purpose)")


if __name__ == "__main__":
    main(sys.argv[1:])
