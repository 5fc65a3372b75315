"""Run one command per language, with ``{lang}`` in its arguments replaced by the language.

    python -m spacy_xlt.foreach hau,ibo -- python -m spacy xlt convert data/{lang} corpus/{lang}

``--as NAME`` replaces ``{NAME}`` instead, so loops nest: the outer one below fills
``{method}`` and leaves ``{lang}`` to the inner one.

    python -m spacy_xlt.foreach statistical,tprojection --as method -- \
        python -m spacy_xlt.foreach hau,ibo -- python -m spacy train ... corpus/{method}/{lang}.spacy

A command whose first word is ``python`` runs with this interpreter. Stops at the first
command that fails, with its exit status, naming the language. Imports nothing heavy: a
project calls it once per step.
"""

import shlex
import subprocess
import sys
from typing import List, Optional

USAGE = "usage: python -m spacy_xlt.foreach VALUE1,VALUE2 [--as NAME] -- COMMAND ARGS... ({NAME} is replaced; NAME defaults to lang)"


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command for each language; returns 0, or the exit status of the first failure."""
    argv = sys.argv[1:] if argv is None else list(argv)
    name = "lang"
    if len(argv) >= 3 and argv[1] == "--as":
        name = argv[2]
        if not name.isidentifier():
            print(f"--as needs a name like 'method', got {name!r}\n{USAGE}", file=sys.stderr)
            return 2
        argv = [argv[0], *argv[3:]]
    if len(argv) < 3 or argv[1] != "--":
        print(USAGE, file=sys.stderr)
        return 2
    langs = [lang.strip() for lang in argv[0].split(",") if lang.strip()]
    if not langs:
        print(f"no values in {argv[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    placeholder = "{" + name + "}"
    command = argv[2:]
    if command[0] == "python":
        command[0] = sys.executable
    for lang in langs:
        args = [arg.replace(placeholder, lang) for arg in command]
        print("$", shlex.join(args), flush=True)
        try:
            status = subprocess.call(args)
        except OSError as err:  # no such program, not executable
            print(f"failed for {lang}: {err}", file=sys.stderr)
            return 127
        if status != 0:
            # a negative status is a signal; shells report it as 128 + the signal number
            code = status if status > 0 else 128 - status
            print(f"failed for {lang} (exit status {code}): {shlex.join(args)}", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
