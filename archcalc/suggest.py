""""Did you mean …?": the one place archcalc looks for the names closest to a misspelt one.

The spec parser (unknown keys, arguments, symbols), graph expansion (`from:` names) and the
CLI (built-in spec names, `--set` symbols, `archcalc ops` kinds) all suggest through here,
so every suggestion follows one rule. It imports nothing of archcalc, so any layer of the
pipeline may use it without an import cycle.

(`archcalc.layers.registry.suggest`, for layer kinds, case-folds the word and asks here.)
"""

from __future__ import annotations

from collections.abc import Iterable

# difflib's ratio: 2·matches / (len(a) + len(b)). 0.6 is difflib's default, and every
# suggestion archcalc ever made used it: 'kernal' -> 'kernel', 'HH' -> 'H', 'conf' -> 'conv'.
CUTOFF = 0.6
# SequenceMatcher is quadratic in the word's length, and the word is a stranger's text (a
# key, a `from:` value, a command-line argument). No name archcalc knows is longer than
# 128 characters (spec keys and symbols are capped there, layer names at 64), so a longer
# word cannot be a typo of one and is not compared at all.
MAX_WORD = 128


def close_matches(word: object, options: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` of `options` closest to `word`, best first; none for an overlong word."""
    word = str(word)
    if len(word) > MAX_WORD:
        return []
    import difflib  # here, not at the top: only a misspelt name pays its ~2 ms import

    return difflib.get_close_matches(word, list(options), n=n, cutoff=CUTOFF)


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """"did you mean 'x'?" for the closest option, or "" when none is close."""
    close = close_matches(word, options, 1)
    return f"did you mean '{close[0]}'?" if close else ""
