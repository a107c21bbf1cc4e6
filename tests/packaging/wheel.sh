#!/usr/bin/env bash
# The Python packaging, end to end.
#
# 1. Builds the keyhound wheel with maturin (python/keyhound/pyproject.toml) and the sdist,
#    and checks what they hold.
# 2. Installs the wheel in a fresh virtualenv, offline, and runs its `keyhound`.
# 3. Drives the pre-commit framework with this checkout's `keyhound` and `keyhound-tree`
#    hooks (`language: python`): pre-commit pip-installs the root pyproject.toml
#    (keyhound-pre-commit), whose `keyhound-cli==VERSION` dependency must resolve to the wheel
#    just built, never to PyPI (PIP_NO_INDEX, PIP_FIND_LINKS). A commit that stages a fake
#    secret is blocked, `pre-commit run keyhound-tree --all-files` fails on a committed one,
#    and clean commits pass.
#
# Run from the repository root; .ci/run runs it after the release build, whose compiled
# crates maturin reuses. `cargo fetch` fills cargo's cache first, then maturin runs cargo
# --offline. KEYHOUND_WHEEL=path/to.whl tests that
# wheel instead of building one (a wheel from the release workflow, say).
#
# Network: pip downloads maturin, pre-commit, setuptools and wheel from PyPI, and cargo the
# crates of Cargo.lock from crates.io; nothing else.
#
# pre-commit clones this checkout at HEAD (`git rev-parse HEAD`), so the hooks it runs are
# the committed .pre-commit-hooks.yaml and pyproject.toml: uncommitted changes to either are
# not seen (commit them first). That is also what makes it work on a clean clone in CI.
set -euo pipefail

MATURIN_VERSION=1.16.0
PRE_COMMIT_VERSION=4.7.0

root="$(pwd)"
if [ ! -f "$root/Cargo.toml" ] || [ ! -f "$root/python/keyhound/pyproject.toml" ]; then
  echo "tests/packaging/wheel.sh: run it from the repository root" >&2
  exit 2
fi
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
wheels="$root/target/wheels"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$wheels"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAILED: $1"; }
# show FILE: the tail of a log, indented, after a failure.
show() { tail -n 40 "$1" | sed 's/^/    /'; }
# check DESCRIPTION COMMAND...: one line, ok or FAILED, per check; the command's output is
# shown only when it fails.
check() {
  local what="$1"
  shift
  if "$@" >"$work/check.log" 2>&1; then
    ok "$what"
  else
    bad "$what"
    show "$work/check.log"
  fi
}

# A virtualenv, or a clear message when Python cannot make one.
mkvenv() {
  if ! python3 -m venv "$1" >"$work/venv.log" 2>&1; then
    cat "$work/venv.log" >&2
    echo "tests/packaging/wheel.sh: 'python3 -m venv' failed. On Debian and Ubuntu the venv" \
      "module is a separate package: apt-get install python3-venv" >&2
    exit 2
  fi
}
pip_install() { # VENV ARGS...: quiet pip, its output shown if it fails
  local venv="$1"
  shift
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >"$work/pip.log" 2>&1 || {
    show "$work/pip.log" >&2
    echo "tests/packaging/wheel.sh: pip install $* failed" >&2
    exit 2
  }
}

echo "keyhound $version packaging"

# --- Versions and license copies ---------------------------------------------------------

check "pyproject.toml (keyhound-pre-commit) is version $version" \
  grep -qx "version = \"$version\"" pyproject.toml
check "pyproject.toml depends on keyhound-cli==$version" \
  grep -qF "dependencies = [\"keyhound-cli==$version\"]" pyproject.toml
check "python/keyhound/LICENSES/LICENSE-MIT is the root LICENSE-MIT" \
  cmp -s LICENSE-MIT python/keyhound/LICENSES/LICENSE-MIT
check "python/keyhound/LICENSES/LICENSE-APACHE is the root LICENSE-APACHE" \
  cmp -s LICENSE-APACHE python/keyhound/LICENSES/LICENSE-APACHE

# --- The wheel and the sdist -------------------------------------------------------------

if [ -n "${KEYHOUND_WHEEL:-}" ]; then
  wheel="$(cd "$(dirname "$KEYHOUND_WHEEL")" && pwd)/$(basename "$KEYHOUND_WHEEL")"
  echo "testing the given wheel $wheel (not building one)"
  if [ "$(dirname "$wheel")" != "$wheels" ]; then
    rm -f "$wheels"/keyhound_cli-*.whl
    cp "$wheel" "$wheels/"
  fi
else
  mkvenv "$work/maturin"
  pip_install "$work/maturin" "maturin==$MATURIN_VERSION"
  rm -f "$wheels"/keyhound_cli-*.whl
  # `cargo fetch` first: maturin's `cargo metadata` wants every platform's crates in the
  # cache (a plain build downloads the host's only), then it builds offline.
  cargo fetch --locked --quiet
  if (cd python/keyhound && "$work/maturin/bin/maturin" build --release --locked --offline \
    --out "$wheels") >"$work/maturin.log" 2>&1; then
    ok "maturin build --release --locked (python/keyhound)"
  else
    bad "maturin build --release --locked (python/keyhound)"
    show "$work/maturin.log"
    echo "packaging: $passed passed, $failed failed"
    exit 1
  fi
  # The sdist, which the release publishes for platforms without a wheel (not built here).
  rm -rf "$root/target/sdist"
  if (cd python/keyhound && CARGO_NET_OFFLINE=true "$work/maturin/bin/maturin" sdist \
    --out "$root/target/sdist") >"$work/sdist.log" 2>&1; then
    ok "maturin sdist (python/keyhound)"
    check "the sdist holds the crate, the lock file, the rules and the wheel's pyproject.toml" \
      python3 - "$root/target/sdist/keyhound_cli-$version.tar.gz" "$version" <<'PY'
import sys, tarfile
path, version = sys.argv[1], sys.argv[2]
top = f"keyhound_cli-{version}/"
with tarfile.open(path) as t:
    names = set(t.getnames())
    need = ["Cargo.toml", "Cargo.lock", "build.rs", "src/main.rs", "src/rule_files.rs",
            "rules/generic.toml", "benches/matcher.rs", "pyproject.toml", "PKG-INFO",
            "LICENSE-MIT", "LICENSE-APACHE", "LICENSES/LICENSE-MIT", "LICENSES/LICENSE-APACHE"]
    missing = [n for n in need if top + n not in names]
    pyproject = t.extractfile(top + "pyproject.toml").read().decode() if not missing else ""
if missing:
    sys.exit(f"missing from {path}: {missing}")
# The root pyproject.toml is the pre-commit shim; the sdist's must be the maturin one.
if 'bindings = "bin"' not in pyproject or 'name = "keyhound-pre-commit"' in pyproject:
    sys.exit("the sdist's pyproject.toml is not python/keyhound/pyproject.toml")
PY
  else
    bad "maturin sdist (python/keyhound)"
    show "$work/sdist.log"
  fi
  shopt -s nullglob
  built=("$wheels"/keyhound_cli-"$version"-py3-none-*.whl)
  shopt -u nullglob
  if [ ${#built[@]} -ne 1 ]; then
    bad "one wheel keyhound_cli-$version-py3-none-PLATFORM.whl in target/wheels (found ${#built[@]})"
    ls -l "$wheels" | sed 's/^/    /'
    echo "packaging: $passed passed, $failed failed"
    exit 1
  fi
  wheel="${built[0]}"
  ok "built $(basename "$wheel")"
fi

check "the wheel holds the keyhound executable, the licenses and PEP 639 metadata" \
  python3 - "$wheel" "$version" <<'PY'
import stat, sys, zipfile
path, version = sys.argv[1], sys.argv[2]
problems = []
with zipfile.ZipFile(path) as z:
    names = {i.filename: i for i in z.infolist()}
    exe = [n for n in names if n.startswith(f"keyhound_cli-{version}.data/scripts/keyhound")]
    if not exe:
        problems.append(f"no keyhound_cli-{version}.data/scripts/keyhound")
    elif not exe[0].endswith(".exe") and not (names[exe[0]].external_attr >> 16) & stat.S_IXUSR:
        problems.append(f"{exe[0]} is not executable")
    dist = f"keyhound_cli-{version}.dist-info/"
    for lic in ("LICENSE-MIT", "LICENSE-APACHE"):
        if dist + "licenses/LICENSES/" + lic not in names:
            problems.append(f"no {dist}licenses/LICENSES/{lic}")
    meta = z.read(dist + "METADATA").decode()
    for line in (f"Version: {version}", "License-Expression: MIT OR Apache-2.0"):
        if line not in meta.splitlines():
            problems.append(f"METADATA lacks '{line}'")
    if any(n.endswith(".py") for n in names):
        problems.append("Python files in a binary-only wheel")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# --- The wheel, installed ----------------------------------------------------------------

mkvenv "$work/wheel"
pip_install "$work/wheel" --no-index "$wheel"
ok "pip install --no-index $(basename "$wheel") in a fresh virtualenv"
kh="$work/wheel/bin/keyhound"
out="$("$kh" --version 2>&1)" || true
check "keyhound --version prints $version ($out)" [ "$out" = "keyhound $version" ]
rc=0
# --no-config: the repository's own .keyhound.toml allowlists fixtures/.
"$kh" scan --no-config -q fixtures/leaky-app >"$work/scan.log" 2>&1 || rc=$?
check "keyhound scan fixtures/leaky-app exits 1 (findings), got $rc" [ "$rc" -eq 1 ]
mkdir "$work/empty"
rc=0
"$kh" scan --no-config -q "$work/empty" >"$work/scan.log" 2>&1 || rc=$?
check "keyhound scan of an empty directory exits 0, got $rc" [ "$rc" -eq 0 ]

# --- pre-commit, with the hooks at this checkout's HEAD ----------------------------------

rev="$(git -C "$root" rev-parse HEAD)"
if ! git -C "$root" diff --quiet HEAD -- .pre-commit-hooks.yaml pyproject.toml 2>/dev/null; then
  echo "note: .pre-commit-hooks.yaml or pyproject.toml has uncommitted changes; pre-commit uses HEAD's"
fi
mkvenv "$work/pre-commit"
pip_install "$work/pre-commit" "pre-commit==$PRE_COMMIT_VERSION"
# Build requirements of keyhound-pre-commit, for pip inside pre-commit, which gets no index.
"$work/pre-commit/bin/python" -m pip download -q --disable-pip-version-check setuptools wheel \
  -d "$wheels" >"$work/pip.log" 2>&1 || { show "$work/pip.log"; exit 2; }

export PATH="$work/pre-commit/bin:$PATH"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$wheels" PIP_DISABLE_PIP_VERSION_CHECK=1
export VIRTUALENV_NO_PERIODIC_UPDATE=1 # no background download of virtualenv's seed wheels
export PRE_COMMIT_HOME="$work/pre-commit-home"
# This machine's git configuration stays out (a global core.hooksPath makes pre-commit refuse).
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

repo="$work/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.email ci@example.com
git config user.name CI
git config commit.gpgsign false
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: keyhound
      - id: keyhound-tree
YAML
pre-commit install >"$work/install.log" 2>&1 || { show "$work/install.log"; exit 1; }

# The first commit installs the hooks' environment: the shim, and keyhound from the wheel.
git add .pre-commit-config.yaml
if git commit -q -m "pre-commit config" >"$work/out" 2>&1; then
  ok "a clean commit passes both hooks (their environment installed offline)"
else
  bad "a clean commit passes both hooks (their environment installed offline)"
  show "$work/out"
  show "$PRE_COMMIT_HOME/pre-commit.log" 2>/dev/null || true
fi
hook_kh="$(find "$PRE_COMMIT_HOME" -path '*/bin/keyhound' -type f 2>/dev/null | head -n 1)"
hook_out="$([ -n "$hook_kh" ] && "$hook_kh" --version 2>&1)" || true
check "the hooks run the wheel's keyhound ($hook_out)" [ "$hook_out" = "keyhound $version" ]
check "the hooks' keyhound is the wheel's binary" cmp -s "$hook_kh" "$kh"

# A format-valid fake GitHub token, made at run time: 30 random characters and the base62
# CRC32 of them (6 characters, most significant first), as GitHub makes them.
token="$(python3 -c '
import random, string, zlib
b62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
body = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(30))
n, sum6 = zlib.crc32(body.encode()), ""
for _ in range(6):
    sum6, n = b62[n % 62] + sum6, n // 62
print("ghp_" + body + sum6)')"
echo "GITHUB_TOKEN = '$token'" >settings.py
git add settings.py
if git commit -q -m "leak" >"$work/out" 2>&1; then
  bad "a commit staging a fake GitHub token is blocked (it went through)"
else
  ok "a commit staging a fake GitHub token is blocked"
  check "the blocked commit's output names settings.py" grep -q "settings.py" "$work/out"
  check "the blocked commit's output names the rule (github-pat-classic)" \
    grep -q "github-pat-classic" "$work/out"
  if grep -qF "$token" "$work/out"; then
    bad "the hook output masks the secret (it printed it whole)"
  else
    ok "the hook output masks the secret"
  fi
fi

# Committed past the hooks: the staged hook sees nothing in `--all-files` (nothing is staged),
# the tree hook finds it.
# (Nothing to commit if the hooks let it through above: it is committed either way.)
git commit -q --no-verify -m "leak, past the hooks" >/dev/null 2>&1 || true
if pre-commit run keyhound-tree --all-files >"$work/out" 2>&1; then
  bad "pre-commit run keyhound-tree --all-files fails on a committed secret (it passed)"
else
  ok "pre-commit run keyhound-tree --all-files fails on a committed secret"
  check "its output names settings.py" grep -q "settings.py" "$work/out"
fi
check "pre-commit run keyhound --all-files passes (the staged hook sees only staged changes)" \
  pre-commit run keyhound --all-files

# The secret removed, commits are clean again; and an allowed line goes through.
git rm -q settings.py
check "a clean commit (the secret removed) passes" git commit -q -m "remove the leak"
echo "GITHUB_TOKEN = '$token'  # keyhound:allow" >test_settings.py
git add test_settings.py
check "a commit whose secret line is marked keyhound:allow passes" \
  git commit -q -m "allowed test token"

echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
