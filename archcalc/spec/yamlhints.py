"""Causes and fixes for PyYAML's syntax errors, in the words of a spec's author.

PyYAML says what its parser expected (`mapping values are not allowed here`, `expected
<block end>, but found '-'`), not why: almost always the indentation of one line, a
`key: key: value` on one line, a missing comma inside `{ }` or a bracket or quote left
open. `hints(problem, context, mark, context_mark, lines)` looks at the lines around the
error and says which of those it is, with the line numbers and columns and the edit that
fixes it. It only reads the text: what it cannot explain gets no hint rather than a guess.
"""

from __future__ import annotations

import re

# How many lines above the error a hint looks at to find the line it must line up with:
# a layer's arguments are within a few lines of it; a bound, for a stranger's text.
LOOK_BACK = 40
_KEY = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z_$][\w$.]*)\s*:(\s|$)")
_TWO_KEYS = re.compile(r"^\s*(?:-\s+)?([A-Za-z_$][\w$.]*)\s*:\s+([A-Za-z_$][\w$.]*)\s*:(\s|$)")
_DASH_NO_SPACE = re.compile(r"^\s*-[^\s-]")


def hints(problem: str, context: str, mark, context_mark, lines: list[str]) -> list[str]:
    """Fixes for a YAML syntax error at `mark` (0-based line and column, as PyYAML gives);
    [] when the text shows no cause archcalc can name."""
    if mark is None or mark.line >= len(lines) + 1:
        return []
    row = mark.line
    line = lines[row] if row < len(lines) else ""
    if "\t" in line:
        return ["YAML does not allow tabs for indentation; use spaces"]
    if "mapping values are not allowed" in problem:
        return _mapping_here(row, line, lines)
    if problem.startswith("expected <block end>") or problem.startswith(
            "did not find expected key") or "expected '-' indicator" in problem:
        return _misaligned(row, lines)
    if "flow mapping" in context or "flow sequence" in context:
        return _flow(problem, context, mark, context_mark, line)
    if "quoted scalar" in context and context_mark is not None:
        return [f"the quote opened at line {context_mark.line + 1}, column "
                f"{context_mark.column + 1} is never closed: end the text with the same quote"]
    return []


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _spaces(line: str) -> str:
    n = _indent(line)
    return f"{n} space" if n == 1 else f"{n} spaces"


def _previous(row: int, lines: list[str]):
    """(row, line) of the nearest line above `row` that holds something, within LOOK_BACK."""
    for r in range(row - 1, max(-1, row - 1 - LOOK_BACK), -1):
        text = lines[r]
        if text.strip() and not text.lstrip().startswith("#"):
            yield r, text


def _mapping_here(row: int, line: str, lines: list[str]) -> list[str]:
    two = _TWO_KEYS.match(line)
    if two:
        first, second = two.group(1), two.group(2)
        return [f"line {row + 1} has two `key:` on one line, and a value that is itself a "
                f"mapping cannot start on its key's line: if `{second}` is an argument of "
                f"`{first}`, write `{first}: {{{second}: …}}` (braces) or put `{second}: …` "
                f"on the next line, indented further than `{first}`; if it is text, quote "
                f"it: `{first}: \"{second}: …\"`"]
    above = next(_previous(row, lines), None)
    if above is None or _indent(line) <= _indent(above[1]):
        return []
    r, text = above
    out = [f"line {row + 1} is indented by {_spaces(line)}, more than line {r + 1} "
           f"({_spaces(text)}), whose key already has a value, so nothing can nest under it: "
           f"indent line {row + 1} as line {r + 1}"]
    key = _KEY.match(text)
    if key:  # the value's key lines up with a key above that has no value: its owner?
        column = text.index(key.group(2))
        for r2, owner_text in _previous(r, lines):
            owner = _KEY.match(owner_text)
            if owner and owner_text.index(owner.group(2)) == column and \
                    owner_text.rstrip().endswith(":"):
                name = owner.group(2)
                out.append(f"`{key.group(2)}` (line {r + 1}) lines up with `{name}` (line "
                           f"{r2 + 1}), so it is read as a key beside `{name}`, not one of "
                           f"its arguments: indent the lines under `{name}:` further than "
                           f"`{name}` (column {column + 1} → {column + 3})")
                break
            if owner_text.strip() and _indent(owner_text) < _indent(text) - 2:
                break
    return out


def _misaligned(row: int, lines: list[str]) -> list[str]:
    line = lines[row] if row < len(lines) else ""
    for r, text in _previous(row + 1, lines):
        if _DASH_NO_SPACE.match(text):
            return [f"line {r + 1} starts `{text.strip()[:2]}…`: a list item is a dash and "
                    "a space (`- conv: …`)"]
    if not line.strip():
        return []
    is_item = line.lstrip().startswith("- ") or line.strip() == "-"
    what = "list items" if is_item else "keys"
    for r, text in _previous(row, lines):
        if (text.lstrip().startswith("-")) == is_item and _indent(text) != _indent(line):
            return [f"line {row + 1} is indented by {_spaces(line)}, the {what} above it "
                    f"(line {r + 1}) by {_spaces(text)}: the {what} of one "
                    f"{'list' if is_item else 'mapping'} line up — indent line {row + 1} by "
                    f"{_spaces(text)}, or nest it under a key that ends with `:`"]
    return []


def _flow(problem: str, context: str, mark, context_mark, line: str) -> list[str]:
    opening, closing = ("{", "}") if "mapping" in context else ("[", "]")
    where = ""
    if context_mark is not None:
        where = f" opened at line {context_mark.line + 1}, column {context_mark.column + 1}"
    if "<stream end>" in problem or (context_mark is not None and
                                     mark.line != context_mark.line):
        return [f"the `{opening}`{where} is never closed: end it with `{closing}` on its line"]
    got = line[mark.column:mark.column + 1]  # PyYAML names it, libyaml does not
    if opening == "{" and got == ":":
        return ["inside `{ }` the arguments are separated by commas: `{out: 8, kernel: "
                "3}`; an expression with a comma, like `max(4, 8)`, is quoted: "
                "`\"max(4, 8)\"`"]
    return [f"inside `{opening} {closing}` the values are separated by commas"]
