#!/usr/bin/env bash
# The GitHub Action's scan step (action.yml runs it; tests/action.rs runs it with the
# environment GitHub sets). It scans what the event brought: a push's commits
# (before..after), a pull request's (base..head), or the whole history for any other event
# or with INPUT_SCAN=full. It writes SARIF, sets the outputs `findings` and `sarif`, and fails
# on findings unless INPUT_FAIL_ON_FINDINGS=false.
set -euo pipefail
kh="${KEYHOUND:-keyhound}"
sarif="${INPUT_SARIF:-keyhound.sarif}"
mode="${INPUT_SCAN:-auto}"
fail="${INPUT_FAIL_ON_FINDINGS:-true}"
zero=0000000000000000000000000000000000000000

payload() { # payload KEY.PATH -> value from the event payload, or nothing
  [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ] || return 0
  python3 - "$1" <<'PY'
import json, os, sys
value = json.load(open(os.environ["GITHUB_EVENT_PATH"]))
for key in sys.argv[1].split("."):
    value = value.get(key) if isinstance(value, dict) else None
print(value or "")
PY
}
has_commit() { [ -n "$1" ] && [ "$1" != "$zero" ] && git cat-file -e "$1^{commit}" 2>/dev/null; }

args=()
if [ "$mode" = auto ]; then
  case "${GITHUB_EVENT_NAME:-}" in
    push)
      before="$(payload before)"
      after="$(payload after)"
      after="${after:-${GITHUB_SHA:-HEAD}}"
      # The first push of a branch has no usable "before": scan the whole history.
      if has_commit "$before"; then args=(--range "$before..$after"); fi
      ;;
    pull_request | pull_request_target)
      base="$(payload pull_request.base.sha)"
      head="$(payload pull_request.head.sha)"
      head="${head:-${GITHUB_SHA:-HEAD}}"
      if ! has_commit "$base" && [ -n "${GITHUB_BASE_REF:-}" ]; then base="origin/$GITHUB_BASE_REF"; fi
      if has_commit "$base"; then args=(--range "$base..$head"); fi
      ;;
  esac
fi
if [ ${#args[@]} -eq 0 ]; then
  echo "keyhound: scanning the whole history" >&2
else
  echo "keyhound: scanning ${args[1]}" >&2
fi

rc=0
"$kh" git . "${args[@]}" -f sarif -o "$sarif" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  exit "$rc"
fi
findings=$(python3 -c 'import json,sys; print(sum(len(r.get("results", [])) for r in json.load(open(sys.argv[1]))["runs"]))' "$sarif")
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "findings=$findings"
    echo "sarif=$sarif"
  } >>"$GITHUB_OUTPUT"
fi
echo "keyhound: $findings finding(s), SARIF in $sarif" >&2
if [ "$findings" -gt 0 ] && [ "$fail" = true ]; then
  exit 1
fi
