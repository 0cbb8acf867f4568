"""The prompt catalogue: prompt keys to sentences, per language.

Sentences may name call values in braces; `{name:digits}` reads a number
digit by digit ("4, 8, 2, 7").
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from menus.prompts import de, en, fr

CATALOGUES: Mapping[str, Mapping[str, str]] = {"en": en.PROMPTS, "fr": fr.PROMPTS, "de": de.PROMPTS}


@dataclass(frozen=True)
class Voice:
    """How the platform should speak a language."""

    language: str
    voice: str


VOICES: Mapping[str, Voice] = {
    "en": Voice("en-GB", "Polly.Amy"),
    "fr": Voice("fr-FR", "Polly.Celine"),
    "de": Voice("de-DE", "Polly.Marlene"),
}


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "digits":
            return ", ".join(str(value))
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def sentence(language: str, key: str, values: Mapping[str, Any] | None = None) -> str:
    """The sentence for prompt `key` in `language`, with call values filled in."""
    return _FORMATTER.vformat(CATALOGUES[language][key], (), dict(values or {}))
