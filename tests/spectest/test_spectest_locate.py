"""Finding the testsuite data and selecting files (pywaz.spectest.locate)."""

from __future__ import annotations

import pytest

from pywaz.spectest import locate
from pywaz.spectest.locate import (
    ENV_VAR,
    MISSING_MESSAGE,
    SpecFile,
    TestsuiteNotFound,
    find_testsuite,
    list_files,
    select_files,
)


def _make_suite(root, names):
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).mkdir()
        (root / name / f"{name}.json").write_text('{"commands": []}')
    return root


def test_explicit_directory_wins_over_env_and_default(tmp_path, monkeypatch):
    explicit = _make_suite(tmp_path / "a", ["i32"])
    env = _make_suite(tmp_path / "b", ["i64"])
    _make_suite(tmp_path / "c" / "v2-json", ["f32"])
    monkeypatch.setattr(locate, "default_roots", lambda: (tmp_path / "c",))
    assert find_testsuite(explicit, environ={ENV_VAR: str(env)}) == explicit
    assert find_testsuite(None, environ={ENV_VAR: str(env)}) == env
    assert find_testsuite(None, environ={}) == tmp_path / "c" / "v2-json"


def test_missing_default_means_none(tmp_path, monkeypatch):
    monkeypatch.setattr(locate, "default_roots", lambda: (tmp_path / "nowhere",))
    assert find_testsuite(None, environ={}) is None
    assert find_testsuite(None, environ={}, suite="v3") is None


def test_a_default_location_without_test_files_is_passed_over(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    second = _make_suite(tmp_path / "second", ["i32"])
    monkeypatch.setattr(locate, "default_locations", lambda suite="v2": (tmp_path / "empty", second))
    assert find_testsuite(None, environ={}) == second


def test_default_locations_are_relative_to_the_current_directory_then_the_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checkout = locate.checkout_root()
    assert checkout is not None  # the tests run from a source checkout
    assert locate.default_locations() == (
        tmp_path.parent / "shared" / "wasm-testsuite" / "v2-json",
        checkout.parent / "shared" / "wasm-testsuite" / "v2-json",
    )


def test_an_installed_wheel_looks_only_relative_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(locate, "checkout_root", lambda: None)
    assert locate.default_locations() == (tmp_path.parent / "shared" / "wasm-testsuite" / "v2-json",)
    message = locate.missing_message()
    assert message.endswith(f"Searched: {tmp_path.parent / 'shared' / 'wasm-testsuite' / 'v2-json'}.")


def test_the_checkout_is_recognised_by_its_files(tmp_path, monkeypatch):
    fake_module = tmp_path / "site-packages" / "pywaz" / "spectest" / "locate.py"
    monkeypatch.setattr(locate, "__file__", str(fake_module))
    assert locate.checkout_root() is None  # a wheel: no pyproject.toml or spec-tests/ beside the package
    (tmp_path / "site-packages" / "pyproject.toml").parent.mkdir(parents=True)
    (tmp_path / "site-packages" / "pyproject.toml").write_text("")
    (tmp_path / "site-packages" / "spec-tests").mkdir()
    assert locate.checkout_root() == tmp_path / "site-packages"


@pytest.mark.parametrize("source", ["explicit", "env"])
def test_missing_requested_location_is_an_error(tmp_path, source):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(TestsuiteNotFound) as info:
        if source == "explicit":
            find_testsuite(missing, environ={})
        else:
            find_testsuite(None, environ={ENV_VAR: missing})
    assert missing in str(info.value)
    assert "wast2json" in str(info.value)


def test_missing_message_says_how_to_get_the_data():
    assert "github.com/WebAssembly/testsuite" in MISSING_MESSAGE
    assert locate.TESTSUITE_COMMIT in MISSING_MESSAGE
    assert "wast2json" in MISSING_MESSAGE and ENV_VAR in MISSING_MESSAGE
    assert "wasm-tools json-from-wast" in MISSING_MESSAGE and "../shared/wasm-testsuite relative" in MISSING_MESSAGE


def test_testsuite_root_with_v2_json_inside_is_accepted(tmp_path):
    _make_suite(tmp_path / "root" / "v2-json", ["i32"])
    assert find_testsuite(tmp_path / "root", environ={}) == tmp_path / "root" / "v2-json"


def test_suite_selects_the_folder_under_a_root(tmp_path, monkeypatch):
    _make_suite(tmp_path / "root" / "v2-json", ["i32"])
    _make_suite(tmp_path / "root" / "v3-json", ["i64"])
    assert find_testsuite(tmp_path / "root", environ={}, suite="v3") == tmp_path / "root" / "v3-json"
    assert find_testsuite(None, environ={ENV_VAR: str(tmp_path / "root")}, suite="v2") == tmp_path / "root" / "v2-json"
    monkeypatch.setattr(locate, "default_roots", lambda: (tmp_path / "root",))
    assert find_testsuite(None, environ={}, suite="v3") == tmp_path / "root" / "v3-json"
    # A data directory named explicitly is used whatever the suite.
    assert find_testsuite(tmp_path / "root" / "v2-json", environ={}, suite="v3") == tmp_path / "root" / "v2-json"
    with pytest.raises(ValueError, match="unknown testsuite 'v4'"):
        find_testsuite(tmp_path / "root", environ={}, suite="v4")


def test_a_root_whose_folders_hold_other_json_files_is_still_a_root(tmp_path):
    _make_suite(tmp_path / "root" / "v3-json", ["i32"])
    (tmp_path / "root" / "v3-json" / "CONVERSION.json").write_text("{}")
    (tmp_path / "root" / "v2-json").mkdir()
    (tmp_path / "root" / "v2-json" / "CONVERSION.json").write_text("{}")
    assert find_testsuite(tmp_path / "root", environ={}, suite="v3") == tmp_path / "root" / "v3-json"


def test_v3_lists_the_legacy_folder_beside_it_under_a_prefix(tmp_path):
    main = _make_suite(tmp_path / "v3-json", ["throw", "i32"])
    legacy = _make_suite(tmp_path / "v3-legacy-json", ["throw", "rethrow"])
    files = list_files(main)
    assert [f.name for f in files] == ["i32", "legacy/rethrow", "legacy/throw", "throw"]
    assert {f.name: f.path for f in files}["legacy/throw"] == legacy / "throw" / "throw.json"
    assert [f.name for f in list_files(legacy)] == ["rethrow", "throw"]  # named alone, it has no prefix
    selected, _ = select_files(files, ["legacy/*"])
    assert [f.name for f in selected] == ["legacy/rethrow", "legacy/throw"]


def test_list_files_takes_name_slash_name_json_only(tmp_path):
    root = _make_suite(tmp_path / "s", ["simd_a", "i32", "b"])
    (root / "CONVERSION.json").write_text("{}")
    (root / "b" / "other.json").write_text("{}")
    assert [f.name for f in list_files(root)] == ["b", "i32", "simd_a"]


FILES = [SpecFile(name, None) for name in ("i32", "i64", "simd_const", "simd_lane", "f32")]


@pytest.mark.parametrize("patterns,expected", [
    ([], ["i32", "i64", "simd_const", "simd_lane", "f32"]),
    (["i32"], ["i32"]),
    (["simd_*"], ["simd_const", "simd_lane"]),
    (["i??"], ["i32", "i64"]),
    (["f32.wast", "i32.json"], ["i32", "f32"]),
    (["f32", "f32"], ["f32"]),
])
def test_select_by_name_and_glob(patterns, expected):
    selected, unmatched = select_files(FILES, patterns)
    assert [f.name for f in selected] == expected
    assert unmatched == []


def test_select_is_exact_not_substring():
    selected, unmatched = select_files(FILES, ["i3", "simd"])
    assert selected == []
    assert unmatched == ["i3", "simd"]
