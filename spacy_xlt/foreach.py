"""Run one command per language, with ``{lang}`` in its arguments replaced by the language.

    python -m spacy_xlt.foreach hau,ibo -- python -m spacy xlt convert data/{lang} corpus/{lang}

``--as NAME`` replaces ``{NAME}`` instead, so loops nest: the outer one below fills
``{method}`` and leaves ``{lang}`` to the inner one.

    python -m spacy_xlt.foreach statistical,tprojection --as method -- \
        python -m spacy_xlt.foreach hau,ibo -- python -m spacy train ... corpus/{method}/{lang}.spacy

A command ``python -m MODULE ...`` runs MODULE in this process, one value after the other, as
``python -m`` would run it (``sys.argv`` set, ``__name__ == "__main__"``, its exit status
taken from ``SystemExit``), so a loop over 20 languages imports spaCy and torch once, not 21
times; nested loops run in the same process too. Between two values the garbage is collected
and torch's CUDA cache emptied. ``--isolate`` runs every command in a process of its own
instead (what any other command gets): use it when a command leaves state behind that the
next one must not see. A command whose first word is ``python`` runs with this interpreter.

Stops at the first command that fails, with its exit status, naming the value.
"""

import gc
import runpy
import shlex
import subprocess
import sys
import traceback
from typing import List, Optional

USAGE = (
    "usage: python -m spacy_xlt.foreach VALUE1,VALUE2 [--as NAME] [--isolate] -- COMMAND ARGS... "
    "({NAME} is replaced; NAME defaults to lang)"
)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command for each value; returns 0, or the exit status of the first failure."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--" not in argv:
        print(USAGE, file=sys.stderr)
        return 2
    split = argv.index("--")
    head, command = argv[:split], argv[split + 1 :]
    name, isolate = "lang", False
    options = head[1:]
    while options:
        option = options.pop(0)
        if option == "--isolate":
            isolate = True
        elif option == "--as" and options:
            name = options.pop(0)
            if not name.isidentifier():
                print(f"--as needs a name like 'method', got {name!r}\n{USAGE}", file=sys.stderr)
                return 2
        else:
            print(f"unknown option {option!r}\n{USAGE}", file=sys.stderr)
            return 2
    if not head or not command:
        print(USAGE, file=sys.stderr)
        return 2
    values = [value.strip() for value in head[0].split(",") if value.strip()]
    if not values:
        print(f"no values in {head[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    placeholder = "{" + name + "}"
    if command[0] == "python":
        command[0] = sys.executable
    in_process = not isolate and command[0] == sys.executable and len(command) >= 3 and command[1] == "-m"
    for value in values:
        args = [arg.replace(placeholder, value) for arg in command]
        print("$", shlex.join(args), flush=True)
        if in_process:
            status = run_module(args[2], args[3:])
        else:
            try:
                status = subprocess.call(args)
            except OSError as err:  # no such program, not executable
                print(f"failed for {value}: {err}", file=sys.stderr)
                return 127
        if status != 0:
            # a negative status is a signal; shells report it as 128 + the signal number
            code = status if status > 0 else 128 - status
            print(f"failed for {value} (exit status {code}): {shlex.join(args)}", file=sys.stderr)
            return code
    return 0


def run_module(module: str, args: List[str]) -> int:
    """Run ``python -m MODULE ARGS...`` in this process; returns its exit status: that of its
    ``SystemExit`` (0 for none, 1 with the message printed for a string), 1 with the traceback
    printed for an exception, 130 for Ctrl-C."""
    argv = sys.argv
    sys.argv = [module, *args]  # runpy puts the module's file in argv[0]
    try:
        if module == "spacy_xlt.foreach":  # a nested loop: this module is imported already
            return main(args)
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        return _exit_status(exit.code)
    except KeyboardInterrupt:
        return 130
    except BaseException:  # noqa: BLE001 - any failure of the command is its exit status 1
        traceback.print_exc()
        return 1
    finally:
        sys.argv = argv
        sys.stdout.flush()
        sys.stderr.flush()
        _release_memory()
    return 0


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _release_memory() -> None:
    """What one command left for the garbage collector goes before the next one starts, and
    torch's cached CUDA blocks go back to the device."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
