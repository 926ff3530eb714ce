"""The Thai matcher as a small package, one component a module.

terms.py (coverage), trigrams.py (shape), speller.py (corrections), romanised.py (Thai typed
in Latin letters), and matcher.py, which fuses their signals and decides.
"""

from kb.matching.matcher import (
    SEMANTIC_THRESHOLDS,
    Matcher,
    MatchResult,
    Outcome,
    Scored,
    Thresholds,
)

__all__ = ["SEMANTIC_THRESHOLDS", "MatchResult", "Matcher", "Outcome", "Scored", "Thresholds"]
