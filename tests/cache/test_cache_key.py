"""Cache keys: every input that can change an artifact changes the key."""

import dataclasses
import importlib.util

import pytest

import pywaz
from pywaz._records import fields as record_fields
from pywaz._records import replace as record_replace
from pywaz.api import CompileOptions
from pywaz.cache import EXCLUDED_OPTIONS, CacheError, compute_key, key, module_digest

DIGEST = module_digest(b"\0asm\1\0\0\0")


def base_key(**overrides):
    args = {"wasm_bytes_digest": DIGEST, "engine": "compiler", "features": None, "options": CompileOptions()}
    args.update(overrides)
    return compute_key(**args)


def test_key_is_deterministic_hex_sha256():
    k = base_key()
    assert k == base_key()
    assert len(k) == 64 and int(k, 16) >= 0


def test_module_digest_engine_and_features_change_the_key():
    k = base_key()
    assert base_key(wasm_bytes_digest=module_digest(b"other")) != k
    assert base_key(engine="interpreter") != k
    assert base_key(features={"simd"}) != k


def test_engine_object_uses_its_name():
    class Engine:
        name = "compiler"

    assert base_key(engine=Engine()) == base_key()


def test_features_are_a_set_order_and_disabled_flags_do_not_matter():
    assert base_key(features=["simd", "threads"]) == base_key(features=("threads", "simd"))
    assert base_key(features={"simd": True, "threads": False}) == base_key(features=["simd"])
    assert base_key(features=["simd"]) != base_key(features=["threads"])


def _variant(value):
    """A different value of the same kind, for any field type CompileOptions may grow."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 1.0
    if isinstance(value, str):
        return value + "-other"
    if value is None:
        return "set"
    if isinstance(value, (tuple, frozenset)):
        return type(value)([*value, "extra"])
    raise AssertionError(f"teach _variant about {type(value).__name__}")


def test_every_compile_option_is_in_the_key_or_explicitly_excluded():
    fields = set(record_fields(CompileOptions))
    assert set(EXCLUDED_OPTIONS) <= fields, "EXCLUDED_OPTIONS names an option that no longer exists"
    for name, reason in EXCLUDED_OPTIONS.items():
        assert isinstance(reason, str) and reason.strip(), f"excluded option {name} needs a reason"
    defaults = CompileOptions()
    for name in fields - set(EXCLUDED_OPTIONS):
        changed = record_replace(defaults, **{name: _variant(getattr(defaults, name))})
        assert base_key(options=changed) != base_key(options=defaults), f"option {name} is not in the key"


def test_compile_mode_is_in_the_key():
    assert base_key(options=CompileOptions(compile_mode="eager")) != base_key(
        options=CompileOptions(compile_mode="lazy")
    )


def test_key_follows_dataclass_fields_so_new_options_cannot_be_forgotten():
    @dataclasses.dataclass(frozen=True)
    class GrownOptions:
        compile_mode: str = "lazy"
        brand_new: int = 0

    assert base_key(options=GrownOptions(brand_new=1)) != base_key(options=GrownOptions(brand_new=0))


def test_values_are_type_tagged():
    @dataclasses.dataclass(frozen=True)
    class Opts:
        value: object = None

    keys = {base_key(options=Opts(v)) for v in (1, "1", True, 1.0, None, (1,), b"1")}
    assert len(keys) == 7


def test_unencodable_option_is_a_clear_error():
    @dataclasses.dataclass(frozen=True)
    class Opts:
        value: object = None

    with pytest.raises(CacheError, match="compile option 'value' has type"):
        base_key(options=Opts(object()))


@pytest.mark.parametrize(
    "bad",
    [b"short", "a" * 64, None],
)
def test_bad_digest_is_a_clear_error(bad):
    with pytest.raises(CacheError, match="32-byte SHA-256"):
        base_key(wasm_bytes_digest=bad)


def test_options_must_be_an_instance():
    with pytest.raises(CacheError):
        base_key(options=CompileOptions)


def test_interpreter_magic_and_cache_tag_are_in_the_key(monkeypatch):
    k = base_key()
    monkeypatch.setattr(importlib.util, "MAGIC_NUMBER", b"\x00\x00\r\n")
    assert base_key() != k


def test_pywaz_version_is_in_the_key(monkeypatch):
    k = base_key()
    monkeypatch.setattr(pywaz, "__version__", "99.0.0")
    assert base_key() != k


def test_source_fingerprint_is_in_the_key(monkeypatch):
    k = base_key()
    monkeypatch.setattr(key, "_fingerprint", b"\x01" * 32)
    assert base_key() != k


def test_fingerprint_changes_when_a_source_file_changes(tmp_path):
    (tmp_path / "compiler").mkdir()
    src = tmp_path / "compiler" / "lower.py"
    src.write_text("X = 1\n")
    (tmp_path / "numeric.py").write_text("Y = 2\n")
    first = key._hash_sources(str(tmp_path))
    assert key._hash_sources(str(tmp_path)) == first
    src.write_text("X = 2\n")
    assert key._hash_sources(str(tmp_path)) != first
    src.write_text("X = 1\n")
    (tmp_path / "compiler" / "extra.py").write_text("")
    assert key._hash_sources(str(tmp_path)) != first


def test_real_fingerprint_is_computed_once():
    assert key.source_fingerprint() is key.source_fingerprint()
    assert len(key.source_fingerprint()) == 32


def test_key_follows_record_fields_too():
    from pywaz._records import record

    @record
    class RecordOptions:
        compile_mode: str = "lazy"
        brand_new: int = 0

    assert base_key(options=RecordOptions(brand_new=1)) != base_key(options=RecordOptions(brand_new=0))
    with pytest.raises(CacheError, match="must be a CompileOptions instance"):
        base_key(options=RecordOptions)


def test_keeping_sources_does_not_change_the_key():
    """Code objects are the same either way, so a cache shared by both kinds of runtime shares entries."""
    assert base_key(options=CompileOptions(keep_sources=False)) == base_key(options=CompileOptions())
