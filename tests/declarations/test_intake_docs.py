"""The table of intake error codes of docs/dataset.md is the one place integrators read: it lists
every code the engine emits."""

from pathlib import Path

from declarations.errors import ERROR_CODES

DATASET_MD = Path(__file__).resolve().parents[2] / "docs" / "dataset.md"


def test_dataset_md_error_table_lists_every_engine_code_and_the_api_codes():
    text = DATASET_MD.read_text(encoding="utf-8")
    table = text.split("### Intake error codes", 1)[1]
    rows = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert set(ERROR_CODES) <= rows, set(ERROR_CODES) - rows
    api_codes = {
        "malformed_json",
        "body_too_large",
        "lrn_conflict",
        "idempotency_key_reused",
        "tax_scheme_number_frozen",
        "document_type_unsupported",
    }
    assert api_codes <= rows
