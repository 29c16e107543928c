#!/usr/bin/env bash
# Rebuild plotly-partial.min.js: plotly.js's core plus only the trace types listed under
# "coordapp.traces" in package.json, minified, with plotly.js's licence header.
#
# Needs node, npm and the npm registry; works in a temporary directory and writes only the
# bundle beside this script. Never run by `make run` or `make test`: the built file is committed.
# The versions (plotly.js, esbuild and every dependency) are pinned by package-lock.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$here/package-lock.json" "$work/"
cd "$work"
npm ci --ignore-scripts --no-audit --no-fund

bundle="$(node -p 'require("./package.json").coordapp.bundle')"
traces="$(node -p 'require("./package.json").coordapp.traces.join(",")')"
# scatter is part of plotly.js's core; the others are registered here.
node -e '
const traces = require("./package.json").coordapp.traces.filter((t) => t !== "scatter");
const lines = traces.map((t) => `  require("plotly.js/lib/${t}"),`);
require("fs").writeFileSync("entry.js", [
  "var Plotly = require(\"plotly.js/lib/core\");",
  "Plotly.register([", ...lines, "]);",
  "module.exports = Plotly;", ""].join("\n"));
'

# The licence header of plotly.js's own bundles, naming what this one holds.
header="$(sed -n '1,/^\*\/$/p' node_modules/plotly.js/dist/plotly.min.js \
  | sed "s/^\* plotly.js v/* plotly.js (partial: ${traces//,/, } - minified) v/")"

# As plotly.js's esbuild-config.js, less what only WebGL and map traces need; their CSS import
# (maplibre-gl.css, required by the registry for "map" traces) is dropped.
npx esbuild entry.js \
  --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --loader:.css=empty \
  --legal-comments=eof --log-level=warning \
  --banner:js="$header" --footer:js="window.Plotly = Plotly;" \
  --outfile="$here/$bundle"
cp node_modules/plotly.js/LICENSE "$here/LICENSE.txt"
ls -l "$here/$bundle"
