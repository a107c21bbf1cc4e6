#!/usr/bin/env bash
# The GitHub Action's install step (action.yml runs it; tests/action.rs runs it against a
# release served on 127.0.0.1). When the action is used at a version tag (`uses:
# OWNER/keyhound@v0.1.0`) and that release has an archive for this runner, it downloads it,
# checks its SHA-256 and installs the binary in $KEYHOUND_BIN_DIR. Otherwise it says why and
# sets `build=true`, and action.yml builds keyhound with cargo (cached by its sources' hash).
# Outputs: `bin` (the keyhound to run), `build`, `cache-key`.
set -euo pipefail
dir="${KEYHOUND_BIN_DIR:-${RUNNER_TEMP:-/tmp}/keyhound/bin}"
src="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
ref="${KEYHOUND_VERSION:-${GITHUB_ACTION_REF:-}}"
base="${KEYHOUND_RELEASE_URL:-https://github.com/${GITHUB_ACTION_REPOSITORY:-keyhound/keyhound}/releases/download}"
out="${GITHUB_OUTPUT:-/dev/null}"

note() { echo "keyhound: $*" >&2; }

# The binary a cargo build gives is named after these sources: the cache key.
key="keyhound-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-$(
  cd "$src" && find Cargo.toml Cargo.lock build.rs src rules -type f -print0 | sort -z \
    | xargs -0 sha256sum | sha256sum | cut -c1-32
)"

build() {
  note "$1: building keyhound from the action's sources with cargo (cached)"
  {
    echo "build=true"
    echo "bin=$dir/keyhound"
    echo "cache-key=$key"
  } >>"$out"
  exit 0
}

case "$ref" in
  v[0-9]*) ;;
  *) build "the action is used at '${ref:-no ref}', not at a release tag" ;;
esac
version="${ref#v}"
case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  *) build "no release archive for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" ;;
esac
name="keyhound-$version-$target"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! curl -fsSL --retry 3 -o "$tmp/$name.tar.gz" "$base/$ref/$name.tar.gz" \
  || ! curl -fsSL --retry 3 -o "$tmp/$name.tar.gz.sha256" "$base/$ref/$name.tar.gz.sha256"; then
  build "release $ref has no $name.tar.gz"
fi
want="$(cut -d' ' -f1 <"$tmp/$name.tar.gz.sha256")"
got="$(sha256sum "$tmp/$name.tar.gz" | cut -d' ' -f1)"
if [ "$want" != "$got" ]; then
  note "$name.tar.gz: SHA-256 $got, but the release says $want: not installed"
  build "the downloaded archive failed its checksum"
fi
tar -xzf "$tmp/$name.tar.gz" -C "$tmp"
mkdir -p "$dir"
install -m 755 "$tmp/$name/keyhound" "$dir/keyhound"
note "installed $("$dir/keyhound" --version) from $base/$ref/$name.tar.gz"
{
  echo "build=false"
  echo "bin=$dir/keyhound"
  echo "cache-key=$key"
} >>"$out"
