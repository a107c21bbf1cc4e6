#!/usr/bin/env bash
# Replays every fuzz target over its committed seeds, once each (CI runs this). To fuzz for
# real: RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET /tmp/corpus-TARGET fuzz/seeds/TARGET -- -max_total_time=600
# RUSTC_BOOTSTRAP=1 lets the stable toolchain take the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
export RUSTC_BOOTSTRAP=1
mkdir -p target
# AddressSanitizer needs its runtime in the toolchain; without it, replay unsanitised rather
# than not at all (panics and assertion failures are still caught).
sanitizer=address
if ! cargo fuzz build --sanitizer address >target/fuzz-build.log 2>&1; then
  tail -n 20 target/fuzz-build.log
  echo "fuzz replay: the AddressSanitizer build failed; replaying without a sanitizer"
  sanitizer=none
fi
for target in matcher rules_config decoders staged_diff delta archive image; do
  cargo fuzz run --sanitizer "$sanitizer" "$target" "fuzz/seeds/$target" -- -runs=0 \
    2>"target/fuzz-$target.log" || {
    tail -n 30 "target/fuzz-$target.log"
    echo "fuzz replay failed: $target"
    exit 1
  }
  echo "fuzz replay ($sanitizer): $target, $(ls "fuzz/seeds/$target" | wc -l) seeds, no crash"
done
