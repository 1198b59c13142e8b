#!/usr/bin/env python3
"""Regenerates the literal `endure --help` block of docs/cli.md (between <!-- BEGIN HELP --> and
<!-- END HELP -->) and the indented `endure demo-shop --help` block from a built binary. The test
cli.docs_cli_reference_equals_help keeps them equal: run this after changing an option.  Usage: scripts/update_cli_doc.py [path/to/endure]"""
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
doc = doc[:a] + "```\n" + help_text + "```\n" + doc[b:]
shop = subprocess.run([binary, "demo-shop", "--help"], check=True, capture_output=True, text=True).stdout
shop_block = "".join(("    " + line if line else "") + "\n" for line in shop.rstrip("\n").split("\n"))
start = "    $ endure demo-shop --help\n"
a = doc.index(start) + len(start)
b = doc.index("\n", doc.index("    routes:", a) + 1)
b = doc.index("\n", b + 1) + 1  # the routes take two lines
doc = doc[:a] + shop_block + doc[b:]
doc_path.write_text(doc)
print(f"docs/cli.md: --help block regenerated from {binary}")
