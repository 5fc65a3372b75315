"""spacy_xlt.runtime: glibc malloc settings for the model-running commands."""

import platform
import subprocess
import sys

import pytest

CHECK = """
import ctypes, json, sys
from spacy_xlt import runtime
applied = runtime.tune_malloc()
print(json.dumps(applied))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_tune_malloc_applies_the_settings_once_and_can_be_switched_off():
    from spacy_xlt import runtime

    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '{"mmap_threshold": 1073741824, "trim_threshold": 1073741824, "top_pad": 67108864}'
    env = {"SPACY_XLT_MALLOC": "default", "PATH": ""}
    off = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, env=env)
    assert off.stdout.strip() == "{}"
    assert runtime.SETTINGS["mmap_threshold"] == 1 << 30
