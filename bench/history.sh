#!/usr/bin/env bash
# History-scan benchmark: `keyhound git` against inflating every object with git itself, in
# the same rounds, and against the peer scanners when installed (../shared/peers/install.sh).
# Then `keyhound staged` on a clone of the same repository with a typical commit staged.
#
#   bench/history.sh REPO [ROUNDS]     REPO: a git directory (bare is fine) or a work tree
#
# Reports median wall time, the ratio to both git baselines, and peak RSS. Never run it on a
# repository you do not want read: it is only read (the staged part works on a clone).
set -euo pipefail
trap 'echo "bench/history.sh: line $LINENO failed (exit $?)" >&2' ERR
here="$(cd "$(dirname "$0")/.." && pwd)"
src="$(cd "$1" && pwd)"
rounds="${2:-3}"
peers="${PEERS:-$HOME/.keyhound-peers}/bin"

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
kh="$here/target/release/keyhound"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Every tool reads a local mirror clone (hard-linked packs, so the same pack layout): an
# ordinary bare repository that no tool can write into the original through.
repo="$tmp/repo.git"
cd "$tmp"
git clone -q --mirror "$src" "$repo"

declare -A cmds
order=()
add() { cmds["$1"]="$2"; order+=("$1"); }
add "git cat-file --batch-all-objects --batch" "git -C '$repo' cat-file --batch-all-objects --batch >/dev/null"
add "git cat-file ... --unordered --batch" "git -C '$repo' cat-file --batch-all-objects --unordered --batch >/dev/null"
add "keyhound git" "'$kh' git '$repo' -q -f json -o '$tmp/kh.json'"
add "keyhound git --no-delta" "'$kh' git '$repo' --no-delta -q -f json -o '$tmp/kh-whole.json'"
if [ "${PEERS_TOO:-1}" = 1 ]; then
  [ -x "$peers/betterleaks" ] && add "betterleaks git" "'$peers/betterleaks' git '$repo' -o '$tmp/bl.json' --no-banner --exit-code=0"
  [ -x "$peers/gitleaks" ] && add "gitleaks 8.30 git" "'$peers/gitleaks' git '$repo' --no-banner -r '$tmp/gl.json' --exit-code 0"
  [ -x "$peers/kingfisher" ] && add "kingfisher --git-history full" "'$peers/kingfisher' scan '$repo' --git-history full --no-validate --no-update-check --format json >'$tmp/kf.json'"
fi

declare -A times rss
for ((r = 0; r < rounds; r++)); do
  for name in "${order[@]}"; do
    /usr/bin/time -f '%e %M' -o "$tmp/time" bash -c "${cmds[$name]}" </dev/null >"$tmp/last.log" 2>&1 || true
    [ -z "${BENCH_DEBUG:-}" ] || { echo "== $name"; tail -8 "$tmp/last.log"; }
    out=$(tail -1 "$tmp/time")
    times["$name"]+="${out%% *} "
    rss["$name"]+="${out##* } "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
commits=$(git -C "$repo" rev-list --all | wc -l)
blobs=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{n++; s+=$2} END {printf "%d blobs, %.2f GB", n, s/1e9}')
base=$(echo "${times["git cat-file --batch-all-objects --batch"]}" | median)
unord=$(echo "${times["git cat-file ... --unordered --batch"]}" | median)
printf 'history: %s (%s commits, %s), %s rounds, medians\n' "$src" "$commits" "$blobs" "$rounds"
for name in "${order[@]}"; do
  m=$(echo "${times[$name]}" | median)
  kb=$(echo "${rss[$name]}" | median)
  printf '  %-42s %8.2f s  %5.2fx cat-file  %5.2fx unordered  %7.0f MiB\n' "$name" "$m" \
    "$(echo "$m / $base" | bc -l)" "$(echo "$m / $unord" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
done
if [ -f "$tmp/kh.json" ]; then
  python3 -c "import json,sys; print('  keyhound findings:', len(json.load(open(sys.argv[1]))))" "$tmp/kh.json"
  cmp -s "$tmp/kh.json" "$tmp/kh-whole.json" && echo "  findings with and without --no-delta: identical" ||
    echo "  findings with and without --no-delta: DIFFERENT"
  # How much of the blobs' bytes the matcher read, from the summary line.
  summary=$("$kh" git "$repo" -f json -o /dev/null 2>&1 | tail -1 || true)
  total=$(echo "$summary" | grep -o '([0-9.]* MB)' | tr -d '(' | cut -d' ' -f1)
  read=$(echo "$summary" | grep -o '[0-9.]* MB of it read' | cut -d' ' -f1)
  [ -n "$read" ] && printf '  matcher read %s of %s MB of blob content (%.0f%%): deltas reused the rest\n' \
    "$read" "$total" "$(echo "100 * $read / $total" | bc -l)"
fi

# `keyhound staged` with a typical commit staged (three files, a few hundred lines).
work="$tmp/work"
git clone -q --shared "$repo" "$work" 2>/dev/null
files=$(git -C "$work" ls-files | sed -n "198,200p")
for f in $files; do
  for ((i = 0; i < 100; i++)); do echo "added line $i of a typical change" >>"$work/$f"; done
done
git -C "$work" add -A
"$kh" staged "$work" -q >/dev/null || true
samples=()
for ((i = 0; i < 20; i++)); do
  start=$(date +%s%N)
  "$kh" staged "$work" -q >/dev/null || true
  end=$(date +%s%N)
  samples+=("$(((end - start) / 1000))")
done
printf '  %-42s %8.1f ms\n' "keyhound staged (3 files, 300 lines)" \
  "$(printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]/1000}')"
