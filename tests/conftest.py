"""Shared fixtures. Each part of the suite keeps its fixtures in its own labelled block."""

from __future__ import annotations

from pathlib import Path

import pytest

# ---- paths and the library (lead) ----
REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
PROFILES = REPO / "contract_samples" / "profiles"
SHARED = REPO.parent / "shared"
needs_shared = pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared (corpus and labels) is absent")


@pytest.fixture(scope="session")
def library():
    """Return the bundled clause library, loaded once."""
    from clausegen.library import load_library

    return load_library()


@pytest.fixture(scope="session")
def sample_profiles():
    """Return the paths of the bundled sample profiles."""
    return sorted(PROFILES.glob("*.yaml"))
