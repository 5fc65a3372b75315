__title__ = "spacy-xlt"
__version__ = "0.1.0"
