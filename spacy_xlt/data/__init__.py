"""Data shipped with the package: the English->Spanish sample (see spacy_xlt.sample)."""
