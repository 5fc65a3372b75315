"""Constrained decoding: the tagging automaton over token ids and its ``LogitsProcessor``.

Importing this package is cheap: torch and transformers load when a processor runs.
"""

from .automaton import DEAD, Parse, TaggingAutomaton

__all__ = ["DEAD", "Parse", "TaggingAutomaton"]
