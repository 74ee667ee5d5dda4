"""The JSON schema file itself, and the in-test checker against it (so schema tests can fail)."""

import pytest
from _inspect_schema import SchemaViolation, check, load_schema


def _summary_doc():
    return {
        "format": "pywaz-inspect/1",
        "path": "m.wasm",
        "summary": {
            "size": 8,
            "valid": True,
            "validation_error": None,
            "module_name": None,
            "sections": [],
            "types": [],
            "imports": [],
            "exports": [],
            "tables": [],
            "memories": [],
            "globals": [],
            "start": None,
            "elements": [],
            "data": [],
            "data_count": None,
            "customs": [],
            "functions": {"imported": 0, "defined": 0, "total": 0, "named": 0, "list": []},
            "features": [],
        },
    }


def test_minimal_summary_document_matches():
    check(_summary_doc(), load_schema())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("format"), "missing required 'format'"),
        (lambda d: d.update(format="pywaz-inspect/2"), "!="),
        (lambda d: d["summary"].update(size=-1), "minimum"),
        (lambda d: d["summary"].update(valid="yes"), "expected"),
        (lambda d: d["summary"].update(extra=1), "unexpected property 'extra'"),
        (lambda d: d["summary"]["features"].append({"name": "threads", "evidence": "", "offset": None}), "not in"),
        (lambda d: d.update(functions=[]), "oneOf"),
        (lambda d: d.pop("summary"), "oneOf"),
    ],
)
def test_checker_rejects_bad_documents(mutate, message):
    doc = _summary_doc()
    mutate(doc)
    with pytest.raises(SchemaViolation, match=message):
        check(doc, load_schema())


def test_schema_is_valid_draft_2020_12():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(load_schema())
