#!/usr/bin/env bash
# The pre-commit framework, for real: installs pre-commit from PyPI, makes a repository whose
# .pre-commit-config.yaml uses this checkout's `keyhound` hook at HEAD (pre-commit builds it
# with cargo), and checks that a commit adding a fake secret is blocked, and that a clean
# commit and a `keyhound:allow` line go through. Run by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
rev="$(git -C "$here" rev-parse HEAD)"
cache="${KEYHOUND_CI_CACHE:-$HOME/.cache/keyhound-ci}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

[ -x "$cache/pre-commit-venv/bin/pre-commit" ] || {
  python3 -m venv "$cache/pre-commit-venv"
  "$cache/pre-commit-venv/bin/pip" install -q pre-commit
}
export PATH="$cache/pre-commit-venv/bin:$PATH"
# pre-commit's own cache (the keyhound it builds) lives beside it, keyed by the revision.
export PRE_COMMIT_HOME="$cache/pre-commit-home"

passed=0
failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $*"; fi; }

repo="$work/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.email ci@example.com
git config user.name CI
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $here
    rev: $rev
    hooks:
      - id: keyhound
YAML
pre-commit install >/dev/null

# A clean commit goes through.
git add .pre-commit-config.yaml
check git commit -q -m "pre-commit config"

# A commit that stages a fake GitHub token is blocked, with a readable message.
# Format-valid: 30 random characters and the base62 CRC32 of them, as GitHub makes them.
token="$(python3 -c '
import random, string, zlib
b62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
body = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(30))
n, sum6 = zlib.crc32(body.encode()), ""
for _ in range(6):
    sum6, n = b62[n % 62] + sum6, n // 62
print("ghp_" + body + sum6)')"
echo "TOKEN = '$token'" >leak.py
git add leak.py
if git commit -q -m "leak" >"$work/out" 2>&1; then
  echo "FAILED: the commit with a secret went through"
  failed=$((failed + 1))
else
  check grep -q "github-pat-classic" "$work/out"
  if grep -q "$token" "$work/out"; then
    echo "FAILED: the hook printed the whole secret"
    failed=$((failed + 1))
  fi
fi

# The same line marked keyhound:allow goes through.
echo "TOKEN = '$token'  # keyhound:allow" >leak.py
git add leak.py
check git commit -q -m "allowed test token"

echo "pre-commit framework: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
