"""``python -m spacy_xlt`` is ``spacy xlt``."""

from typer.main import get_command

from .cli import xlt_cli


def main() -> None:
    get_command(xlt_cli)(prog_name="python -m spacy_xlt")


if __name__ == "__main__":
    main()
