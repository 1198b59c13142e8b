#!/usr/bin/env python3
"""Regenerates the literal `endure --help` block of docs/cli.md (between <!-- BEGIN HELP --> and
<!-- END HELP -->) from a built binary. The test cli.docs_cli_reference_equals_help keeps them
equal: run this after changing an option.  Usage: scripts/update_cli_doc.py [path/to/endure]"""
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / "build/dev/bin/endure")
help_text = subprocess.run([binary, "--help"], check=True, capture_output=True, text=True).stdout
doc_path = root / "docs/cli.md"
doc = doc_path.read_text()
begin, end = "<!-- BEGIN HELP -->\n", "<!-- END HELP -->"
a = doc.index(begin) + len(begin)
b = doc.index(end)
doc_path.write_text(doc[:a] + "```\n" + help_text + "```\n" + doc[b:])
print(f"docs/cli.md: --help block regenerated from {binary}")
