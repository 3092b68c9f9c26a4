"""Text from outside the program is shown as it is, never read as markup.

A path, a spec's name, a diagnostic or an exception's message may hold `[/b]` (Textual
would stop with MarkupError) or `[@click=app.quit]` (it would become a clickable action).
Textual parses a `str` handed to a widget, a border title or a notification as content
markup, so the TUI never hands it one that holds such text:

- widgets and border titles get `plain(text)`, a `Content`, which Textual never parses
  (`rich.text.Text`, used by the tables and lists, is never parsed either);
- notifications go through `ArchcalcApp.say`, which sends them with `markup=False`.
"""

from __future__ import annotations

from textual.content import Content


def plain(text: object) -> Content:
    """`text` (a str, a Path, an exception …) exactly as `str()` writes it."""
    return Content(str(text))
