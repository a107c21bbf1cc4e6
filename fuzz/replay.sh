#!/usr/bin/env bash
# Replays every fuzz target over its committed seeds, once each (CI runs this). To fuzz for
# real: RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET /tmp/corpus-TARGET fuzz/seeds/TARGET -- -max_total_time=600
# RUSTC_BOOTSTRAP=1 lets the stable toolchain take the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
export RUSTC_BOOTSTRAP=1
for target in matcher rules_config decoders staged_diff; do
  cargo fuzz run "$target" "fuzz/seeds/$target" -- -runs=0 2>"target/fuzz-$target.log" || {
    tail -n 30 "target/fuzz-$target.log"
    echo "fuzz replay failed: $target"
    exit 1
  }
  echo "fuzz replay: $target, $(ls "fuzz/seeds/$target" | wc -l) seeds, no crash"
done
