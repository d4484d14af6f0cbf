from __future__ import annotations

from datetime import datetime

import pytest

from .helpers import AS_OF


@pytest.fixture
def as_of() -> datetime:
    return AS_OF
