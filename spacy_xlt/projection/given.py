"""Word alignments a user brings: a Pharaoh file as an aligner (``spacy_xlt.PharaohAlignments.v1``).

Line i of the file aligns the i-th pair the aligner is asked about, across calls, so the
alignment projector can stream pairs in batches; every link is checked against the pair's
word counts, and :meth:`PharaohAlignments.finish` checks that no line was left over.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence, Union

from spacy.util import registry

from ..errors import Errors, XLTError
from ..ty import Alignment, WordPair
from .alignment import read_pharaoh


class PharaohAlignments:
    """An aligner that reads its alignments from a Pharaoh file (``i-j`` links per line).

    ``reverse``: the file aligns target to source (``j-i``).
    """

    def __init__(self, path: Union[str, Path], *, reverse: bool = False) -> None:
        self.path = Path(path)
        self.reverse = bool(reverse)
        self._alignments: Optional[List[Alignment]] = None
        #: pairs aligned so far: the next call starts at this line
        self.position = 0

    def __repr__(self) -> str:
        return f"PharaohAlignments({str(self.path)!r}, position={self.position})"

    def _lines(self) -> List[Alignment]:
        if self._alignments is None:
            self._alignments = read_pharaoh(self.path, reverse=self.reverse)
        return self._alignments

    def align(self, pairs: Sequence[WordPair]) -> List[Alignment]:
        lines = self._lines()
        start = self.position
        if start + len(pairs) > len(lines):
            raise XLTError(
                Errors.E142.format(path=self.path, n_lines=len(lines), n_pairs=start + len(pairs))
            )
        out = []
        for k, (src, tgt) in enumerate(pairs):
            alignment = lines[start + k]
            for i, j in alignment:
                side, index, n = (
                    ("source", i, len(src)) if i >= len(src) else ("target", j, len(tgt))
                )
                if index >= n:
                    raise XLTError(
                        Errors.E141.format(
                            record=f"{self.path}:{start + k + 1}",
                            item=f"{i}-{j}",
                            side=side,
                            index=index,
                            n=n,
                        )
                    )
            out.append(list(alignment))
        self.position = start + len(pairs)
        return out

    def finish(self) -> None:
        """An error if the file has lines that no pair used (it belongs to other pairs)."""
        n = len(self._lines())
        if self.position != n:
            raise XLTError(Errors.E335.format(path=self.path, n_lines=n, n_pairs=self.position))


@registry.misc("spacy_xlt.PharaohAlignments.v1")
def make_pharaoh_alignments(path: str, reverse: bool = False) -> PharaohAlignments:
    """Alignments read from a Pharaoh file: line i aligns pair i (0-based ``i-j`` links)."""
    return PharaohAlignments(path, reverse=reverse)
