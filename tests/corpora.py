"""Where the tests find the repo and the shared corpora (imported as ``tests.corpora``: a bare ``conftest``
import would find whichever conftest.py sits first on the path, such as tests/ranking's)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


def corpus(*parts: str) -> Path:
    """A folder of ../shared/corpora, or a clean skip where a checkout has none."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpora sit beside the repo only on project machines)")
    return path
