"""The expected-failure list rules and per-file result bookkeeping."""

from __future__ import annotations

import pytest

from pywaz.spectest.expectations import compare, parse_entries
from pywaz.spectest.report import FileResult, SuiteResult, report_document, write_report


def _result():
    result = FileResult("f32")
    result.add_pass("assert_return", 10)
    result.add_failure("assert_return", 20, "expected f32:1.0, got f32:2.0")
    result.add_skip("assert_malformed", "text-format module")
    return result


def test_listed_failure_is_accepted_and_unlisted_failure_is_not():
    result = _result()
    assert compare(result, parse_entries([("f32", 20, "rounding bug")]), "interpreter").ok
    comparison = compare(result, [], "interpreter")
    assert not comparison.ok
    assert [f.line for f in comparison.unexpected] == [20]
    assert "line 20" in comparison.explain("f32")


def test_listed_command_that_passes_must_be_removed():
    comparison = compare(_result(), parse_entries([("f32", 20, "bug"), ("f32", 10, "fixed meanwhile")]),
                         "interpreter")
    assert [e.line for e in comparison.now_passing] == [10]
    assert "remove" in comparison.explain("f32")


def test_listed_command_that_was_skipped_is_neither():
    result = FileResult("f32")
    result.add_skip("assert_return", "SIMD not supported yet")
    assert compare(result, parse_entries([("f32", 30, "later")]), "interpreter").ok


def test_entries_for_other_files_or_engines_do_not_apply():
    result = _result()
    assert not compare(result, parse_entries([("f64", 20, "other file")]), "interpreter").ok
    entries = parse_entries([("f32", 20, "compiler only", ("compiler-eager",))])
    assert not compare(result, entries, "interpreter").ok
    assert compare(result, entries, "compiler-eager").ok


@pytest.mark.parametrize("entry", [
    ("f32", 20),
    ("f32", "20", "reason"),
    ("f32", 20, "  "),
    ["f32", 20, "list, not tuple"],
    ("f32", 20, "reason", (1,)),
])
def test_malformed_entries_are_rejected(entry):
    with pytest.raises(ValueError):
        parse_entries([entry])


def test_duplicate_entries_are_rejected():
    with pytest.raises(ValueError, match="twice"):
        parse_entries([("f32", 20, "a"), ("f32", 20, "b")])
    with pytest.raises(ValueError, match="twice"):
        parse_entries([("f32", 20, "a"), ("f32", 20, "b", ("interpreter",))])


def test_counts_once_per_command_and_by_type():
    result = _result()
    assert (result.passed, result.failed, result.skipped, result.total) == (1, 1, 1, 3)
    assert result.by_command == {"assert_return": [1, 1, 0], "assert_malformed": [0, 0, 1]}


def test_suite_totals_and_report(tmp_path):
    suite = SuiteResult("compiler", "lazy", "/data")
    suite.files.append(_result())
    other = FileResult("i32")
    other.add_pass("module", 1)
    other.add_pass("assert_return", 2)
    suite.files.append(other)
    assert suite.totals_line() == "3 passed, 1 failed, 1 skipped"
    document = report_document(suite)
    assert document["engine"] == "compiler" and document["compile_mode"] == "lazy"
    assert document["totals"]["by_command"]["assert_return"] == {"passed": 2, "failed": 1, "skipped": 0}
    assert document["files"]["f32"]["failures"] == [
        {"line": 20, "command": "assert_return", "message": "expected f32:1.0, got f32:2.0"}]
    assert document["files"]["f32"]["skip_reasons"] == {"text-format module": 1}
    path = tmp_path / "r.json"
    write_report(suite, path)
    import json

    assert json.loads(path.read_text()) == document
    assert not (tmp_path / "r.json.tmp").exists()


def test_long_failure_lists_are_truncated_in_the_explanation():
    result = FileResult("simd")
    for line in range(1, 1001):
        result.add_failure("assert_return", line, "boom")
    text = compare(result, [], "interpreter").explain("simd")
    assert "1000 unexpected failure(s)" in text
    assert "line 1 assert_return" in text and "line 1000 " not in text
    assert "and 960 more" in text


def test_skip_reasons_are_capped_but_still_counted():
    result = FileResult("simd")
    for i in range(30):
        result.add_skip("assert_return", f"op {i} unsupported")
    result.add_skip("assert_return", "op 0 unsupported")
    reasons = result.as_dict()["skip_reasons"]
    assert len(reasons) == 21
    assert reasons["op 0 unsupported"] == 2
    assert sum(reasons.values()) == result.skipped == 31


def test_an_entry_may_list_several_lines_for_one_reason():
    result = FileResult("memory64")
    result.add_failure("module", 3, "valid module rejected: DecodeError: integer too large")
    result.add_failure("assert_return", 7, "module at line 3 is unavailable: ...")
    result.add_pass("assert_return", 9)
    entries = parse_entries([("memory64", (3, 7), "memory64: DecodeError: integer too large")])
    assert [(e.line, e.reason) for e in entries] == [(3, "memory64: DecodeError: integer too large"),
                                                     (7, "memory64: DecodeError: integer too large")]
    assert compare(result, entries, "interpreter").ok
    grown = parse_entries([("memory64", (3, 7, 9), "memory64")])
    comparison = compare(result, grown, "interpreter", "spec-tests/expected_failures_v3.py")
    assert [e.line for e in comparison.now_passing] == [9]
    assert "expected_failures_v3.py" in comparison.explain("memory64")


@pytest.mark.parametrize("entries", [
    [("f32", (), "no lines")],
    [("f32", (1, "2"), "a line that is not an int")],
    [("f32", (1, True), "a bool is not a line")],
    [("f32", (1, 2), "twice"), ("f32", 2, "again")],
    [("f32", (4, 4), "twice in one entry")],
])
def test_malformed_line_tuples_are_rejected(entries):
    with pytest.raises(ValueError):
        parse_entries(entries)
