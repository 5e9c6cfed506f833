#!/usr/bin/env bash
# Renders the HTML report in headless Chromium (Debian's `chromium`) and saves a screenshot, to check by
# eye that the report draws correctly in a real browser. Outside CI: needs chromium (apt-get install chromium).
#
#   scripts/screenshot.sh [report.html] [out.png]
# With no report given, it trains a small demo model (3 epochs) and writes its eval report first.
set -euo pipefail
cd "$(dirname "$0")/.."
report=${1:-}
png=${2:-docs/report.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$report" ]; then
  npx tsc -p tsconfig.json >/dev/null || true
  node bin/ner.js train -q --epochs 6 --seed 1 --output "$work/model.json"
  report="$work/report.html"
  node bin/ner.js eval -q --model "$work/model.json" --report "$report" > /dev/null
fi
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "screenshot.sh: no chromium found; install it with: apt-get install -y chromium" >&2
  exit 1
fi
# Everything that could reach the network is off: the report must render from the file alone.
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$work/profile" \
  --screenshot="$png" --window-size=1200,1600 "file://$(realpath "$report")" 2>"$work/chromium.log" || {
  cat "$work/chromium.log" >&2
  exit 1
}
echo "wrote $png ($(du -k "$png" | cut -f1) KB) from $report"
