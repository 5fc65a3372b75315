"""Table-backed scorer and generator: deterministic implementations of the T-Projection
backends' interfaces, for tests of candidate filtering, scoring and assignment.

``TableScorer`` implements ``score(sources, targets, src, tgt)`` (the ``Translator.score``
interface) from a table of probabilities; ``TableGenerator`` implements
``generate(inputs, num_beams, num_return_sequences)`` from a table of beam outputs. Both
record every call, so a test can check what was asked and how often.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import Errors, XLTError


class TableScorer:
    """P(target | source) looked up in ``table``.

    Keys are ``(source, target)`` or, for language-specific entries,
    ``(source, target, src_lang, tgt_lang)`` (these win). ``self_score`` is the value of
    P(x | x) for strings that have no entry of their own; ``default`` the value of any
    other missing pair. A missing pair with no default raises XLTE286.
    """

    def __init__(
        self,
        table: Mapping[tuple, float],
        *,
        self_score: Optional[float] = None,
        default: Optional[float] = None,
    ) -> None:
        self.table: Dict[tuple, float] = {tuple(k): float(v) for k, v in table.items()}
        self.self_score = self_score
        self.default = default
        #: one (sources, targets, src, tgt) tuple per score() call
        self.calls: List[Tuple[Tuple[str, ...], Tuple[str, ...], str, str]] = []

    def lookup(self, source: str, target: str, src: str, tgt: str) -> float:
        for key in ((source, target, src, tgt), (source, target)):
            if key in self.table:
                return self.table[key]
        if source == target and self.self_score is not None:
            return self.self_score
        if self.default is not None:
            return self.default
        raise XLTError(Errors.E286.format(what="table scorer", key=(source, target, src, tgt)))

    def score(
        self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str
    ) -> List[float]:
        sources, targets = list(sources), list(targets)
        if len(sources) != len(targets):
            raise XLTError(Errors.E285.format(n_src=len(sources), n_tgt=len(targets)))
        self.calls.append((tuple(sources), tuple(targets), src, tgt))
        return [self.lookup(s, t, src, tgt) for s, t in zip(sources, targets)]

    @property
    def n_scored(self) -> int:
        """Sequences scored over all calls (what a translation model would run)."""
        return sum(len(call[0]) for call in self.calls)


class TableGenerator:
    """Beam outputs looked up in ``table`` (generator input -> list of sequences).

    ``generate`` returns the first ``num_return_sequences`` sequences of each input's entry;
    an input with no entry raises XLTE286 (or gets ``default`` when it is given).
    """

    def __init__(
        self, table: Mapping[str, Sequence[str]], default: Optional[Sequence[str]] = None
    ) -> None:
        self.table = {k: list(v) for k, v in table.items()}
        self.default = None if default is None else list(default)
        self.calls: List[List[str]] = []

    def generate(
        self, inputs: Sequence[str], num_beams: int = 16, num_return_sequences: Optional[int] = None
    ) -> List[List[str]]:
        n = num_return_sequences or num_beams
        self.calls.append(list(inputs))
        out = []
        for text in inputs:
            if text in self.table:
                seqs = self.table[text]
            elif self.default is not None:
                seqs = self.default
            else:
                raise XLTError(Errors.E286.format(what="table generator", key=repr(text)))
            out.append(list(seqs[:n]))
        return out
