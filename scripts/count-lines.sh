#!/bin/sh
# Lines of the product's source (src/: .ts, .wat, and the annotate page's .js/.html/.css), per folder
# and in total, as git tracks them plus untracked files not ignored. Run from anywhere in the checkout.
cd "$(git rev-parse --show-toplevel)" || exit 1
git ls-files --cached --others --exclude-standard -- src | grep -E '\.(ts|wat|js|html|css)$' | while read -r f; do
  [ -f "$f" ] && printf '%s %s\n' "$(wc -l < "$f")" "$f"
done | awk '
  {
    n = split($2, p, "/"); dir = (n > 2) ? p[1] "/" p[2] : "src (top)";
    if ($2 ~ /^src\/data\/formats\//) dir = "src/data/formats";
    lines[dir] += $1; total += $1;
  }
  END {
    for (d in lines) printf "%7d  %s\n", lines[d], d | "sort -k2";
    close("sort -k2");
    printf "%7d  total\n", total;
  }'
