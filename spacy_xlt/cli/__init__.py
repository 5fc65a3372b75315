"""The ``spacy xlt`` command group, registered through spaCy's ``spacy_cli`` entry point.

Each command lives in its own module and registers itself on ``xlt_cli`` when imported.
"""

from spacy.cli._util import app

from . import (  # noqa: F401  (register their commands)
    convert,
    evaluate,
    pair,
    predict,
    project,
    results,
    sample,
    subset,
    translate,
    translate_test,
    visualize,
)
from ._app import xlt_cli

app.add_typer(xlt_cli, name="xlt")

__all__ = ["xlt_cli"]
