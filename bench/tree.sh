#!/usr/bin/env bash
# Tree-scan benchmark: keyhound against plainly reading the same files, and against the peer
# scanners when installed (../shared/peers/install.sh puts them in ~/.keyhound-peers/bin).
#
#   bench/tree.sh [DIR] [ROUNDS]
#
# DIR defaults to this repository. Each round runs every command once, in turn, with a warm page
# cache; the report gives each command's median wall time and its ratio to the read baseline
# measured in the same rounds (the machines are shared and noisy, so only ratios travel).
# Also: keyhound on one small file end to end, and peak RSS of the keyhound tree scan.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(cd "${1:-$here}" && pwd)"
rounds="${2:-5}"
peers="${PEERS:-$HOME/.keyhound-peers}/bin"

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
kh="$here/target/release/keyhound"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

declare -A cmds
order=()
add() { cmds["$1"]="$2"; order+=("$1"); }
add "read (cat every file)" "find '$dir' -type f -not -path '*/.git/*' -print0 | xargs -0 cat >/dev/null"
add "keyhound" "'$kh' scan '$dir' --no-ignore -f json -o '$tmp/kh.json' -q"
add "keyhound -j1" "'$kh' scan '$dir' --no-ignore -j 1 -f json -o '$tmp/kh1.json' -q"
if command -v rg >/dev/null; then
  add "ripgrep (-uu, 'secret|token|key')" "rg -uu -c -i 'secret|token|key' '$dir' >/dev/null"
fi
[ -x "$peers/gitleaks" ] && add "gitleaks 8.30 dir" "'$peers/gitleaks' dir '$dir' --no-banner -r '$tmp/gl.json' --exit-code 0 >/dev/null 2>&1"
[ -x "$peers/betterleaks" ] && add "betterleaks" "'$peers/betterleaks' '$dir' -o '$tmp/bl.json' --no-banner >/dev/null 2>&1"
# Kingfisher validates findings over the network by default: never here.
[ -x "$peers/kingfisher" ] && add "kingfisher scan" "'$peers/kingfisher' scan '$dir' --no-validate --no-update-check --format json >'$tmp/kf.json' 2>/dev/null"
[ -x "$peers/kingfisher" ] && add "kingfisher --no-extract-archives" "'$peers/kingfisher' scan '$dir' --no-validate --no-update-check --no-extract-archives --format json >'$tmp/kf2.json' 2>/dev/null"
[ -x "$peers/ripsecrets" ] && add "ripsecrets" "'$peers/ripsecrets' '$dir' >/dev/null 2>&1 || true"

# Warm the page cache.
eval "${cmds["read (cat every file)"]}"

declare -A times
for ((r = 0; r < rounds; r++)); do
  for name in "${order[@]}"; do
    start=$(date +%s.%N)
    eval "${cmds[$name]}" </dev/null || true
    end=$(date +%s.%N)
    times["$name"]+="$(echo "$end - $start" | bc) "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
files=$(find "$dir" -type f -not -path '*/.git/*' | wc -l)
bytes=$(find "$dir" -type f -not -path '*/.git/*' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
base=$(echo "${times["read (cat every file)"]}" | median)
printf 'tree: %s (%s files, %.1f MB), %s rounds, medians\n' "$dir" "$files" "$(echo "$bytes / 1000000" | bc -l)" "$rounds"
for name in "${order[@]}"; do
  m=$(echo "${times[$name]}" | median)
  printf '  %-36s %8.3f s  %6.2fx read\n' "$name" "$m" "$(echo "$m / $base" | bc -l)"
done

# One small file, end to end (process start, rule load, scan, report): median of 50 runs.
printf 'const url = "https://example.com";\nconst token = process.env.TOKEN;\n' >"$tmp/small.js"
small=()
for ((i = 0; i < 50; i++)); do
  start=$(date +%s%N)
  "$kh" scan "$tmp/small.js" -q >/dev/null || true
  end=$(date +%s%N)
  small+=("$(((end - start) / 1000))")
done
printf '  %-36s %8.1f ms\n' "keyhound, one small file" "$(printf '%s\n' "${small[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]/1000}')"
if [ -x /usr/bin/time ]; then
  rss=$(/usr/bin/time -f '%M' "$kh" scan "$dir" --no-ignore -q -f json -o "$tmp/rss.json" 2>&1 >/dev/null | tail -1)
  printf '  %-36s %8.1f MiB\n' "keyhound peak RSS" "$(echo "$rss / 1024" | bc -l)"
fi
