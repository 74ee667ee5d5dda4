"""The interpreter engine with a disk cache: a later process instantiates with no decode or validation.

The entry holds the module information only; each function is decoded,
validated and lowered on its first call, from the module's bytes.
"""

import pytest
from test_cache_compiler import CALLS, DATA, check_all

import pywaz
import pywaz.decoder
import pywaz.validator


def forbid_whole_module_work(monkeypatch):
    monkeypatch.setattr(pywaz.decoder, "decode_module", lambda *a: pytest.fail("decoded the whole module"))
    monkeypatch.setattr(pywaz.validator, "validate", lambda *a: pytest.fail("validated the whole module"))


@pytest.mark.parametrize("mode", ["lazy", "eager"])
def test_a_fresh_process_runs_from_the_entry_without_decoding_the_module(mode, cache_dir, monkeypatch):
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime("interpreter", compile_mode=mode, cache=cache) as rt:
        check_all(rt.instantiate(DATA))
        assert cache.stats()["disk_writes"] == 1
    forbid_whole_module_work(monkeypatch)
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime("interpreter", compile_mode=mode, cache=cache) as rt:
        instance = rt.instantiate(DATA)
        assert rt.stats() == {"compilations": 0, "memory_hits": 0, "disk_hits": 1}
        check_all(instance)
        assert len(CALLS) == 6
        # Instantiating again is a memory hit, and closing never rewrites an entry that gained nothing.
        check_all(rt.instantiate(DATA))
    assert cache.stats()["disk_writes"] == 0


def test_interpreter_and_compiler_entries_are_separate(cache_dir):
    for engine in ("interpreter", "compiler"):
        with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime(engine, cache=cache) as rt:
            check_all(rt.instantiate(DATA))
            assert rt.stats()["compilations"] == 1
    with pywaz.CompilationCache(cache_dir) as cache:
        assert sorted(entry.engine for entry in cache.entries()) == ["compiler", "interpreter"]


def test_a_damaged_interpreter_entry_is_a_miss_and_replaced(cache_dir):
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime("interpreter", cache=cache) as rt:
        check_all(rt.instantiate(DATA))
        (info,) = cache.entries()
    with open(info.path, "r+b") as f:
        f.seek(info.size // 2)
        byte = f.read(1)
        f.seek(info.size // 2)
        f.write(bytes([byte[0] ^ 0x10]))
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime("interpreter", cache=cache) as rt:
        check_all(rt.instantiate(DATA))
        assert (rt.stats()["compilations"], cache.stats()["invalid_entries"]) == (1, 1)
    with pywaz.CompilationCache(cache_dir) as cache, pywaz.Runtime("interpreter", cache=cache) as rt:
        check_all(rt.instantiate(DATA))
        assert rt.stats()["disk_hits"] == 1


@pytest.mark.parametrize("metadata", [{"format": 99, "module": {}}, {"format": 1, "module": {"format": -1}}, []])
def test_a_payload_that_is_not_an_interpreter_artifact_is_refused(metadata):
    from pywaz.cache import ArtifactPayload
    from pywaz.errors import PywazError
    from pywaz.interpreter.engine import InterpreterEngine

    with pytest.raises(PywazError):
        InterpreterEngine().deserialize(ArtifactPayload(metadata, ()))


def test_an_interpreter_payload_with_the_wrong_function_count_is_refused():
    from pywaz.cache import ArtifactPayload
    from pywaz.errors import PywazError
    from pywaz.interpreter.engine import InterpreterEngine

    engine = InterpreterEngine()
    artifact = engine.compile(pywaz.validator.validate(pywaz.decoder.decode_module(DATA)), None)
    payload = engine.serialize(artifact)
    with pytest.raises(PywazError, match="different function counts"):
        engine.deserialize(ArtifactPayload(payload.metadata, payload.code_blobs[:-1]))
