#!/usr/bin/env bash
# Installs the named PyPI packages that python3 cannot import (the import name is the package name with - as _).
set -euo pipefail
missing=()
for package in "$@"; do
  python3 -c "import ${package//-/_}" 2>/dev/null || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing from PyPI: ${missing[*]}"
python3 -m pip install -q --disable-pip-version-check "${missing[@]}"
