"""Decision thresholds derived from the knowledge base being loaded.

A blended score means something different on a knowledge base of thin entries (a title, a
phrasing or two, an answer) than on one with a dozen phrasings an entry: every question,
in scope or not, meets fewer words. Fixed thresholds chosen on one knowledge base answer too
little on the other. So when a knowledge base is loaded, the matcher asks it a shipped set of
resident questions that no outreach knowledge base should answer (data/calibration/
out_of_scope.yaml, written for this and for no evaluation), and places its thresholds where
that knowledge base answers only a small share of them and offers choices for a few more.

A question typed in Latin letters (English, romanised Thai) meets a Thai knowledge base on
worse terms: the sentence model's similarities across languages and scripts run lower, so it
would have to clear a bar set mostly by Thai questions. The calibration questions in each
script therefore also give a shift: how far the typical Latin-letter one scores under the
typical Thai one on this knowledge base; a Latin-letter question is lifted by it, when the
thresholds are placed and at every decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml

# Shares of the calibration questions a knowledge base may answer, or offer choices for.
ANSWER_SHARE = 0.015
SUGGEST_SHARE = 0.10
# Whatever the calibration questions say, thresholds stay in a sane range: a knowledge base
# about hospitals would otherwise push "answer" up to where nothing is answered.
ANSWER_RANGE = (0.30, 0.60)
SUGGEST_FLOOR = 0.20
SUGGEST_GAP = 0.03  # "did you mean" starts at least this far under "answer"
# Share of them the sentence model alone may offer choices for, when the blend would not.
MODEL_SHARE = 0.03
MODEL_FLOOR = 0.6  # mapped similarity; never offer on a weaker sense of meaning
# The script shift needs this many calibration questions in each script, and stays in range.
SCRIPT_MIN = 10
SCRIPT_SHIFT_RANGE = (-0.15, 0.15)

_THAI = re.compile(r"[\u0e00-\u0e7f]")
_LATIN = re.compile(r"[A-Za-z]")

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "calibration" / "out_of_scope.yaml"


class CalibrationError(ValueError):
    """The calibration file is unreadable or malformed (named with the line)."""


def latin_script(text: str) -> bool:
    """The question is mostly typed in Latin letters (English, romanised Thai)."""
    return len(_LATIN.findall(text)) > len(_THAI.findall(text))


def load_questions(path: str | Path) -> list[str]:
    """The calibration questions: a mapping with `questions:`, a list of strings."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CalibrationError(f"{p}: {exc}") from exc
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise CalibrationError(f"{p}: expected a mapping with 'questions:', a non-empty list")
    bad = [n for n, q in enumerate(items, start=1) if not isinstance(q, str) or not q.strip()]
    if bad:
        raise CalibrationError(f"{p}: question #{bad[0]} is not a text")
    return [q.strip() for q in items]


@dataclass(frozen=True, slots=True)
class Calibration:
    """Where the thresholds were placed, and what the calibration questions met there."""

    answer: float
    suggest: float
    questions: int
    answered: float  # share of the calibration questions answered at these thresholds
    offered: float  # share offered "did you mean" choices
    model_suggest: float = 2.0  # the model's own threshold for choices (2: never)
    latin_shift: float = 0.0  # added to the scores of a question in Latin letters

    def describe(self) -> str:
        return (
            f"calibrated on {self.questions} out-of-scope questions: answer from "
            f"{self.answer:.3f}, suggest from {self.suggest:.3f} ({self.answered:.1%} of them "
            f"answered, {self.offered:.1%} offered choices; the model alone offers from "
            f"{self.model_suggest:.3f}; Latin-letter questions lifted by {self.latin_shift:+.3f})"
        )


def script_shift(best: npt.NDArray[np.float64], latin: npt.NDArray[np.bool_]) -> float:
    """How far the calibration questions in Latin letters score under those in Thai script,
    median against median (0 when either script has too few of them to say)."""
    # A question with nothing to match (best 0) says nothing about a script's scale.
    latin_best, thai_best = best[latin & (best > 0)], best[~latin & (best > 0)]
    if len(latin_best) < SCRIPT_MIN or len(thai_best) < SCRIPT_MIN:
        return 0.0
    shift = float(np.median(thai_best) - np.median(latin_best))
    return min(max(shift, SCRIPT_SHIFT_RANGE[0]), SCRIPT_SHIFT_RANGE[1])


def derive(
    best: npt.NDArray[np.float64],
    lead: npt.NDArray[np.float64],
    margin: float,
    meaning: npt.NDArray[np.float64] | None = None,
    latin: npt.NDArray[np.bool_] | None = None,
) -> Calibration:
    """Thresholds from the calibration questions' best scores and leads over the runner-up:
    "answer" at the lowest score that answers at most ANSWER_SHARE of them (a question is
    answered when its best reaches it with at least `margin` of lead), "suggest" where at
    most SUGGEST_SHARE of them reach it. With `latin` (which of them are typed in Latin
    letters), those are first lifted by the script shift (`script_shift`)."""
    n = len(best)
    shift = 0.0
    if latin is not None and n:
        shift = script_shift(best, latin)
        best = best + shift * (latin & (best > 0))
    allowed = int(np.floor(n * ANSWER_SHARE))
    leading = np.sort(best[lead >= margin])[::-1]
    # Just above the (allowed + 1)-th highest leading score: at most `allowed` reach it.
    answer = float(leading[allowed]) + 1e-6 if len(leading) > allowed else ANSWER_RANGE[0]
    answer = min(max(answer, ANSWER_RANGE[0]), ANSWER_RANGE[1])
    ordered = np.sort(best)[::-1]
    offered_allowed = int(np.floor(n * SUGGEST_SHARE))
    suggest = float(ordered[offered_allowed]) + 1e-6 if n > offered_allowed else SUGGEST_FLOOR
    suggest = min(max(suggest, SUGGEST_FLOOR), answer - SUGGEST_GAP)
    answered = (best >= answer) & (lead >= margin)
    offered = (best >= suggest) & ~answered
    model_suggest = 2.0
    if meaning is not None and n:
        # Among the questions the blend would send away, the model's own similarity may
        # still offer choices for at most MODEL_SHARE of all of them.
        away = np.sort(meaning[best < suggest])[::-1]
        allowed = int(np.floor(n * MODEL_SHARE))
        model_suggest = float(away[allowed]) + 1e-6 if len(away) > allowed else MODEL_FLOOR
        model_suggest = max(model_suggest, MODEL_FLOOR)
        offered |= (best < suggest) & (meaning >= model_suggest)
    share = (lambda mask: float(mask.mean())) if n else (lambda mask: 0.0)
    return Calibration(answer, suggest, n, share(answered), share(offered), model_suggest, shift)
