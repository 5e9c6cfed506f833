#!/usr/bin/env bash
# Drives the interactive tagger (`ner tag` with a terminal on stdin) through tmux and saves what the
# terminal shows: typed sentences, Ctrl-C on a half-typed line, Ctrl-D to quit. Outside CI: needs tmux.
#
#   scripts/interactive-transcript.sh [model.json] [out.txt]
# With no model given, it trains the demo model (6 epochs, seed 1) into a temporary file first.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-}
txt=${2:-docs/interactive-tagger.txt}
work=$(mktemp -d)
session="ner-transcript-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
command -v tmux >/dev/null || { echo "interactive-transcript.sh: tmux not found; apt-get install -y tmux" >&2; exit 1; }
if [ -z "$model" ]; then
  node bin/ner.js train -q --epochs 6 --seed 1 --output "$work/model.json" 2>/dev/null
  model="$work/model.json"
fi
# --no-color: the transcript is plain text, so entities show as [text]TYPE instead of highlighted
tmux new-session -d -s "$session" -x 160 -y 40 \
  "node bin/ner.js tag --no-color --model '$model'; echo \"[ner exited with code \$?]\"; sleep 60"
wait_for() { # wait until the pane shows $1
  for _ in $(seq 100); do tmux capture-pane -p -t "$session" | grep -qF -- "$1" && return 0; sleep 0.1; done
  echo "interactive-transcript.sh: timed out waiting for: $1" >&2; tmux capture-pane -p -t "$session" >&2; exit 1
}
wait_for 'Ctrl-D to quit'
type_line() { tmux send-keys -t "$session" -l "$1"; tmux send-keys -t "$session" Enter; }
type_line 'Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989.'
wait_for 'DATE April 1989'
type_line 'Angela Merkel met Emmanuel Macron in Berlin on Tuesday.'
wait_for 'Tuesday 1'
tmux send-keys -t "$session" -l 'a half-typed line, then Ctrl-C'
tmux send-keys -t "$session" C-c
type_line 'The European Commission fined Google in Brussels.'
wait_for 'Brussels'
tmux send-keys -t "$session" C-d
wait_for '[ner exited with code'
{
  echo "\$ node bin/ner.js tag --no-color --model <demo model>   # driven by scripts/interactive-transcript.sh (tmux send-keys)"
  tmux capture-pane -p -t "$session" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
} > "$txt"
echo "wrote $txt"
