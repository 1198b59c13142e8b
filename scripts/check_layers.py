#!/usr/bin/env python3
"""Checks that every #include "module/..." in src/<module>/ is an edge allowed by src/MODULES.txt
and that the public API (include/endure/) includes nothing but the standard library,
nlohmann-json and itself. Exits 1 with one line per violation."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
allowed = {}
for line in (root / "src/MODULES.txt").read_text().splitlines():
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, deps = line.partition(":")
    allowed[name.strip()] = set(deps.split())

include_re = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)
problems = []
for module_dir in sorted(p for p in (root / "src").iterdir() if p.is_dir()):
    module = module_dir.name
    if module not in allowed:
        problems.append(f"src/{module}: module not listed in src/MODULES.txt")
        continue
    for f in sorted(module_dir.rglob("*")):
        if f.suffix not in (".hpp", ".cpp", ".h"):
            continue
        for inc in include_re.findall(f.read_text(errors="replace")):
            head = inc.split("/", 1)[0]
            if "/" not in inc or head == module:
                continue
            if head in allowed and head not in allowed[module]:
                problems.append(f"{f.relative_to(root)}: includes {inc} but {module} may not depend on {head}")
            if head == "endure" and "endure" not in allowed[module]:
                problems.append(f"{f.relative_to(root)}: includes the public API but may not")

for f in sorted((root / "include/endure").glob("*.hpp")):
    for inc in include_re.findall(f.read_text()):
        if inc.startswith("boost") or inc.startswith("asio") or inc.startswith("zmq"):
            problems.append(f"{f.relative_to(root)}: public header includes heavy header {inc}")
        elif "/" in inc and not inc.startswith(("endure/", "nlohmann/")):
            problems.append(f"{f.relative_to(root)}: public header includes {inc}")

for p in problems:
    print(p)
print(f"layers: {len(problems)} violations")
sys.exit(1 if problems else 0)
