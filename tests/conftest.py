from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kb.knowledge import Knowledge
from kb.thai import ThaiText, load_lexicon

ROOT = Path(__file__).resolve().parent.parent
BANGKOK = ZoneInfo("Asia/Bangkok")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The shipped knowledge base and matcher, built once for the whole run."""
    return Knowledge.load(ROOT / "data" / "kb", ROOT / "data" / "lexicon.yaml", BANGKOK)


@pytest.fixture(scope="session")
def thai() -> ThaiText:
    return ThaiText(load_lexicon(ROOT / "data" / "lexicon.yaml"), ["ตลาดจอมพล", "ผักปลอดสารพิษ"])
