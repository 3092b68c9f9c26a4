"""Renderers: `Analysis` -> table, JSON, Markdown, CSV. They format; they never compute."""
