"""The prompt catalogue: prompt keys to sentences, per language.

Sentences may name call values in braces; `{name:digits}` reads a number
digit by digit ("4, 8, 2, 7"); `{name:plural=key}` says the count through the
sentence `key_<form>`, where the form ("one", "other", ...) comes from the
language's plural rules (Babel, CLDR), falling back to `key_other`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale

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


PLURAL = "plural="


class _Formatter(string.Formatter):
    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "digits":
            return ", ".join(str(value))
        if format_spec.startswith(PLURAL):
            return plural(self.language, format_spec.removeprefix(PLURAL), int(value))
        return str(super().format_field(value, format_spec))


def plural(language: str, key: str, count: int) -> str:
    """The sentence `key_<form>` for `count`, in the plural form the language asks for."""
    form = Locale.parse(language).plural_form(count)
    catalogue = CATALOGUES[language]
    chosen = f"{key}_{form}" if f"{key}_{form}" in catalogue else f"{key}_other"
    return sentence(language, chosen, {"count": count})


def sentence(language: str, key: str, values: Mapping[str, Any] | None = None) -> str:
    """The sentence for prompt `key` in `language`, with call values filled in."""
    return _Formatter(language).vformat(CATALOGUES[language][key], (), dict(values or {}))
