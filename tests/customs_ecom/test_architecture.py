"""The house's layers hold: the import contract of .importlinter (run by `make lint`) and the
completeness of its picture (no module of customs_ecom escapes the contract)."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _contract() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config


def test_every_module_of_customs_ecom_is_in_a_layer():
    """A module added to customs_ecom must be placed: in the platform (imports no app) or in the
    composing layer. An unlisted module would be outside the contract."""
    layers = _contract()["importlinter:contract:layers"]["layers"]
    listed = {
        name.strip() for line in layers.splitlines() for name in line.replace("|", ":").split(":")
    }
    present = {
        f"customs_ecom.{path.stem}"
        for path in (ROOT / "customs_ecom").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert present - listed == set()


def test_the_import_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") == 2
