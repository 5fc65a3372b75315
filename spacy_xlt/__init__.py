"""spacy_xlt: cross-lingual transfer of sequence labelling for spaCy.

Importing the package is cheap: it registers the ``Doc._.xlt_source`` extension and the
readers; components and backends (which need torch/transformers) register when spaCy
resolves their entry points.
"""

from . import corpora, pairs  # noqa: F401  (register the [corpora] readers, Doc._.xlt_source)
from .about import __version__
from .labels import LabelMap, TokenSpan

__all__ = ["__version__", "LabelMap", "TokenSpan"]
