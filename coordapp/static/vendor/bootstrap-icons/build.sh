#!/usr/bin/env bash
# Rebuild bootstrap-icons-subset.{woff2,css}: the Bootstrap Icons font that Bootstrap-Flask
# ships (134 kB), cut down to the icons the dashboards show, with their CSS classes.
#
# Usage: build.sh [PYTHON]  (default: the project's .venv/bin/python, which has Bootstrap-Flask)
# Needs PyPI for fontTools, installed into a temporary virtualenv; never run by `make run` or
# `make test`: the built files are committed. Add an icon here when the dashboards use a new one.
set -euo pipefail

ICONS=(play-fill pause-fill)
FONTTOOLS_VERSION=4.68.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
python="${1:-$root/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

source_dir="$("$python" -c 'import flask_bootstrap, pathlib
print(pathlib.Path(flask_bootstrap.__file__).parent / "static/bootstrap5/css/font")')"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "fonttools[woff]==$FONTTOOLS_VERSION"

"$work/venv/bin/python" - "$source_dir" "$here" "${ICONS[@]}" <<'PY'
import hashlib
import re
import sys
from pathlib import Path

from fontTools import subset

source, out, icons = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
css = (source / "bootstrap-icons.min.css").read_text(encoding="utf-8")
header = re.match(r"/\*!.*?\*/", css, re.S).group(0)
base = re.search(r"\.bi::before,[^{]*\{[^}]*\}", css).group(0)
codes = {}
for name in icons:
    found = re.search(r'\.bi-%s::before\{content:"\\([0-9a-f]+)"\}' % re.escape(name), css)
    if not found:
        sys.exit(f"no icon {name!r} in Bootstrap Icons")
    codes[name] = found.group(1)

options = subset.Options()
options.flavor = "woff2"
options.layout_features = []
font = subset.load_font(str(source / "fonts" / "bootstrap-icons.woff2"), options)
subsetter = subset.Subsetter(options)
subsetter.populate(unicodes=[int(code, 16) for code in codes.values()])
subsetter.subset(font)
woff2 = out / "bootstrap-icons-subset.woff2"
subset.save_font(font, str(woff2), options)
version = hashlib.sha256(woff2.read_bytes()).hexdigest()[:12]

rules = "".join(f'.bi-{name}::before{{content:"\\{code}"}}' for name, code in codes.items())
(out / "bootstrap-icons-subset.css").write_text(
    f"{header}\n/* Subset (coordapp/static/vendor/bootstrap-icons/build.sh): {', '.join(icons)} */\n"
    "@font-face{font-display:block;font-family:bootstrap-icons;"
    f'src:url("bootstrap-icons-subset.woff2?{version}") format("woff2")}}'
    f"{base}{rules}\n",
    encoding="utf-8",
)
print(f"{woff2.name}: {woff2.stat().st_size} bytes, icons: {', '.join(icons)}")
PY
