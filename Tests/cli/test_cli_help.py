"""`cfcerts --help` and every subcommand's: prose is wrapped by the terminal's width only, never broken in the middle
of a sentence (a line that ends without punctuation, followed by one that goes on in lower case)."""

import os
import re
import subprocess

import pytest

COMMANDS = [[], ["list"], ["get"], ["create"], ["revoke"], ["reactivate"], ["renew"], ["csr"], ["hostnames"],
            ["hostnames", "list"], ["hostnames", "set"], ["hostnames", "add"], ["hostnames", "remove"], ["mtls"],
            ["mtls", "rule"]]


def help_text(command, columns):
    return subprocess.run([os.environ["CFCERTS_CLI"], *command, "--help"], capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ["PATH"], "COLUMNS": str(columns)}, check=True).stdout


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "cfcerts")
def test_help_breaks_lines_only_at_the_terminal_width(command):
    lines = help_text(command, 100000).splitlines()
    # Option help sits in a column; its continuation lines are indented. The overview's prose starts at column 0
    # or 2, and on a terminal this wide (argument-parser wraps at its width) every paragraph is one line.
    prose = [line for line in lines if re.match(r"^ {0,2}\S", line) and not line.lstrip().startswith("-")]
    for line, following in zip(prose, prose[1:]):
        assert not (re.search(r"[a-z,(]$", line) and re.match(r"^ {0,2}[a-z(]", following)), (line, following)
    # The usage line is argument-parser's own, one line whatever the width.
    assert all(len(line) <= 80 for line in help_text(command, 80).splitlines() if not line.startswith("USAGE:"))
