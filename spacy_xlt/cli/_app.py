import typer

HELP = """spacy_xlt: cross-lingual transfer of sequence labelling.

Convert corpora, translate, project annotations, evaluate and visualise.
"""

xlt_cli = typer.Typer(name="xlt", help=HELP, no_args_is_help=True)
