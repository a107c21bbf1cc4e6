#!/usr/bin/env bash
# Peak memory as the input grows: keyhound on synthetic trees and histories of 1x, 10x and 100x
# a base size, built by this script (nothing is downloaded). A tree scan's memory should stay
# flat while the input grows 100-fold: keyhound holds one file per worker, not the tree. A
# history scan's pack maps are bounded too; what grows is its table of unique blobs, their
# paths and first commits (about 150 bytes a blob), which attributes each finding.
#
#   bench/memory.sh [BASE_MB] [BASE_COMMITS] [REPO...]
#
# Defaults: 10 MB of files, 1,000 commits. Each REPO (a real repository, say one brought with
# the library's `fetch`) is then scanned whole too: its history and, for scale, git's own
# `cat-file --batch-all-objects --batch` over the same objects.
#
# Prints, for each input: its size, wall time, peak RSS (GNU time's %M) and findings.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
base_mb="${1:-10}"
base_commits="${2:-1000}"
shift $(($# < 2 ? $# : 2))
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
kh="$here/target/release/keyhound"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A tree of ~10 KB source-like files, one fake (checksum-invalid) token per 100 files.
make_tree() { # DIR MB
  python3 - "$1" "$2" <<'PY'
import os, random, sys
root, mb = sys.argv[1], int(sys.argv[2])
random.seed(1)
words = "let mut self return match token secret key value config path fn pub struct impl".split()
n = mb * 100
for i in range(n):
    d = os.path.join(root, f"m{i % 97}", f"s{i % 13}")
    os.makedirs(d, exist_ok=True)
    lines = []
    while sum(len(l) for l in lines) < 10_000:
        lines.append("    " + " ".join(random.choice(words) for _ in range(10)) + ";")
    if i % 100 == 0:
        lines.append(f'    let api_key = "{"".join(random.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789") for _ in range(32))}";')
    open(os.path.join(d, f"f{i}.rs"), "w").write("\n".join(lines) + "\n")
PY
}

# A history of COMMITS commits, each changing 3 of 300 files, through git fast-import.
make_history() { # DIR COMMITS
  git init -q --bare "$1"
  python3 - "$2" <<'PY' | git -C "$1" fast-import --quiet
import random, sys
commits = int(sys.argv[1])
random.seed(2)
out = sys.stdout
for c in range(commits):
    files = []
    for _ in range(3):
        f = random.randrange(300)
        body = "\n".join(f"line {c} {f} {random.random()}" for _ in range(40)) + "\n"
        if c % 50 == 0:
            body += f'token = "{"".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(40))}"\n'
        files.append((f, body.encode()))
    msg = f"commit {c}\n".encode()
    out.write(f"commit refs/heads/main\ncommitter A <a@example.com> {1700000000 + c} +0000\ndata {len(msg)}\n")
    out.flush(); sys.stdout.buffer.write(msg)
    for f, body in files:
        out.write(f"M 100644 inline src/f{f}.txt\ndata {len(body)}\n"); out.flush()
        sys.stdout.buffer.write(body); sys.stdout.buffer.flush()
    out.write("\n")
out.flush()
PY
}

measure() { # LABEL SIZE COMMAND...
  local label="$1" size="$2"
  shift 2
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" -f json -o "$tmp/out.json" -q || true
  # GNU time puts "Command exited with non-zero status 1" (findings) first: take the last line.
  read -r secs kb < <(tail -n 1 "$tmp/time")
  local n
  n="$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$tmp/out.json")"
  printf '  %-28s %12s %8.2f s %8d MiB %6d findings\n' "$label" "$size" "$secs" "$((kb / 1024))" "$n"
}

echo "peak memory, keyhound $("$kh" --version | awk '{print $2}')"
for scale in 1 10 100; do
  mb=$((base_mb * scale))
  make_tree "$tmp/tree$scale" "$mb"
  measure "tree scan ${scale}x" "$(du -sh "$tmp/tree$scale" | cut -f1)" "$kh" scan "$tmp/tree$scale"
  # --threads is honoured: one worker holds one file at a time.
  [ "$scale" = 10 ] && measure "tree scan ${scale}x, -j 1" "" "$kh" scan -j 1 "$tmp/tree$scale"
  rm -rf "$tmp/tree$scale"
done
for scale in 1 10 100; do
  commits=$((base_commits * scale))
  make_history "$tmp/repo$scale.git" "$commits"
  measure "history ${scale}x" "$commits commits" "$kh" git "$tmp/repo$scale.git"
  [ "$scale" = 10 ] && measure "history ${scale}x, -j 1" "" "$kh" git -j 1 "$tmp/repo$scale.git"
  rm -rf "$tmp/repo$scale.git"
done
for repo in "$@"; do
  commits="$(git -C "$repo" rev-list --all | wc -l)"
  echo "  $repo:"
  measure "  keyhound git" "$commits commits" "$kh" git "$repo"
  /usr/bin/time -f "%e %M" -o "$tmp/time" git -C "$repo" cat-file --batch-all-objects --batch >/dev/null
  read -r secs kb < <(tail -n 1 "$tmp/time")
  printf '  %-28s %12s %8.2f s %8d MiB\n' "  git cat-file --batch" "" "$secs" "$((kb / 1024))"
done
