"""`cfcerts-emulator --help`: its text is wrapped by the terminal's width only, never broken mid-sentence."""

import os
import subprocess


def help_text(columns):
    return subprocess.run([os.environ["CFCERTS_EMULATOR"], "--help"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": str(columns)}, check=True).stdout


def test_help_breaks_lines_only_at_the_terminal_width():
    wide = help_text(1000)
    # On a terminal wide enough for any paragraph, a sentence is on one line.
    assert "faithful enough for Cloudflare's own SDKs (point their base URL at it)" in wide, wide
    assert "The first line on standard output is the API base URL (useful with --port 0); the accepted credentials follow." in wide, wide
    narrow = help_text(80)
    assert all(len(line) <= 80 for line in narrow.splitlines()), narrow
