#!/usr/bin/env bash
# The GitHub Action's scan step (action.yml runs it; tests/action.rs runs it with the
# environment GitHub sets, on depth-1 clones). It scans what the event brought: a push's
# commits (before..after), a pull request's (base..head), or the whole history for any other
# event or with INPUT_SCAN=full. A shallow checkout (actions/checkout's default depth of 1)
# is deepened until the range is there; only when it cannot be is the whole (shallow) history
# scanned, and the log says why. It writes SARIF, one workflow annotation per finding
# (secrets never shown), a job summary, the outputs `findings` and `sarif`, and fails on
# findings unless INPUT_FAIL_ON_FINDINGS=false.
set -euo pipefail
kh="${KEYHOUND:-keyhound}"
sarif="${INPUT_SARIF:-keyhound.sarif}"
mode="${INPUT_SCAN:-auto}"
fail="${INPUT_FAIL_ON_FINDINGS:-true}"
zero=0000000000000000000000000000000000000000
# How far a shallow clone is deepened, in turn, before the whole history is fetched.
DEEPEN_STEPS="${KEYHOUND_DEEPEN_STEPS:-50 500 5000}"

note() { echo "keyhound: $*" >&2; }

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
real() { [ -n "$1" ] && [ "$1" != "$zero" ]; }
has_commit() { real "$1" && git cat-file -e "$1^{commit}" 2>/dev/null; }
shallow() { [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; }
fetch() { git fetch --no-tags --quiet --no-write-fetch-head origin "$@" 2>/dev/null; }

# Makes base..head scannable: both commits present, and head's history down to base's (the
# walk hides what base reaches). Deepens a shallow clone step by step; says what it did.
# Fails when the range cannot be had (base gone from the remote, no remote).
fetch_range() {
  local base="$1" head="$2" depth
  if ! has_commit "$head"; then
    fetch --depth=1 "$head" || true
  fi
  has_commit "$head" || { note "commit $head is not in the checkout and cannot be fetched"; return 1; }
  if has_commit "$base" && ! shallow; then return 0; fi
  if ! has_commit "$base"; then
    fetch --depth=1 "$base" || true
    has_commit "$base" || { note "commit $base is not in the checkout and cannot be fetched"; return 1; }
  fi
  if ! shallow || git merge-base --is-ancestor "$base" "$head" 2>/dev/null; then return 0; fi
  for depth in $DEEPEN_STEPS; do
    note "shallow clone: fetching $depth more commits of history to reach $base"
    fetch --deepen="$depth" "$head" || true
    if git merge-base --is-ancestor "$base" "$head" 2>/dev/null; then return 0; fi
    shallow || return 0
  done
  # A force push, or a very long range: what head has and base does not needs it all.
  note "shallow clone: fetching the rest of the history"
  fetch --unshallow "$head" || true
  shallow && { note "the history could not be fetched whole"; return 1; }
  return 0
}

range=()
if [ "$mode" = auto ]; then
  case "${GITHUB_EVENT_NAME:-}" in
    push)
      base="$(payload before)"
      head="$(payload after)"
      head="${head:-${GITHUB_SHA:-HEAD}}"
      if [ "$head" = "$zero" ]; then
        # A deleted branch brings no commit.
        note "the push deletes a branch: nothing to scan"
        [ -n "${GITHUB_OUTPUT:-}" ] && printf 'findings=0\nsarif=\n' >>"$GITHUB_OUTPUT"
        exit 0
      fi
      if ! real "$base"; then
        note "the first push of a branch: there is no earlier commit to start from"
      elif fetch_range "$base" "$head"; then
        range=(--range "$base..$head")
      fi
      ;;
    pull_request | pull_request_target)
      base="$(payload pull_request.base.sha)"
      head="$(payload pull_request.head.sha)"
      head="${head:-${GITHUB_SHA:-HEAD}}"
      if ! real "$base" && [ -n "${GITHUB_BASE_REF:-}" ]; then
        fetch --depth=1 "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" || true
        base="$(git rev-parse -q --verify "origin/$GITHUB_BASE_REF^{commit}" 2>/dev/null || true)"
      fi
      if real "$base" && fetch_range "$base" "$head"; then
        range=(--range "$base..$head")
      fi
      ;;
  esac
fi
if [ ${#range[@]} -eq 0 ]; then
  if shallow; then
    note "scanning the whole history, which this shallow clone cuts short: only its commits are scanned (fetch-depth: 0 scans all)"
  else
    note "scanning the whole history"
  fi
else
  note "scanning ${range[1]}"
fi

args=(git . "${range[@]}" -f sarif -o "$sarif")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
if [ -n "${INPUT_EXTRA_ARGS:-}" ]; then
  # Split as a shell splits words (quotes kept), without running anything.
  mapfile -t extra < <(python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' "$INPUT_EXTRA_ARGS")
  args+=("${extra[@]}")
fi

rc=0
"$kh" "${args[@]}" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  exit "$rc"
fi

# Annotations and the job summary, from the SARIF: it holds no secret and no line of code.
count="$(mktemp)"
python3 - "$sarif" "${range[1]:-the whole history}" "$count" <<'PY'
import collections, json, os, sys

path, scanned, count = sys.argv[1], sys.argv[2], sys.argv[3]
results = [r for run in json.load(open(path))["runs"] for r in run.get("results", [])]

def data(s):  # a workflow command's message
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

def prop(s):  # a workflow command's property
    return data(s).replace(":", "%3A").replace(",", "%2C")

level = {"error": "error", "warning": "warning", "note": "notice"}
rows = []
for r in results:
    loc = r["locations"][0]["physicalLocation"]
    uri = loc["artifactLocation"]["uri"]
    line = loc.get("region", {}).get("startLine", 1)
    props = r.get("properties", {})
    commit = props.get("commit", "")
    member = props.get("archiveMember")
    title = f"{r['ruleId']} ({props.get('confidence', '?')} confidence)"
    where = f" in {member}" if member else ""
    message = r["message"]["text"] + where
    if commit:
        message += f" Introduced in {commit[:7]} by {props.get('author', '?')}."
    print(f"::{level.get(r.get('level'), 'warning')} file={prop(uri)},line={line},title={prop(title)}::{data(message)}")
    rows.append((r["ruleId"], props.get("confidence", "?"), uri + (f"!{member}" if member else ""), line, commit[:7], props.get("author", "")))

summary = os.environ.get("GITHUB_STEP_SUMMARY")
if summary:
    cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    out = [f"## keyhound: {len(results)} finding{'s' if len(results) != 1 else ''}", "", f"Scanned {cell(scanned)}.", ""]
    if rows:
        counts = collections.Counter((rule, conf) for rule, conf, *_ in rows)
        out += ["| rule | confidence | findings |", "|---|---|---|"]
        order = {"high": 0, "medium": 1, "low": 2}
        for (rule, conf), n in sorted(counts.items(), key=lambda kv: (order.get(kv[0][1], 3), -kv[1], kv[0][0])):
            out.append(f"| `{cell(rule)}` | {cell(conf)} | {n} |")
        out += ["", "| rule | file | line | commit | author |", "|---|---|---|---|---|"]
        for rule, conf, uri, line, commit, author in rows[:100]:
            out.append(f"| `{cell(rule)}` | `{cell(uri)}` | {line} | {cell(commit)} | {cell(author)} |")
        if len(rows) > 100:
            out.append(f"\n… and {len(rows) - 100} more in the SARIF report.")
        out += ["", "Secrets are not shown here. A false alarm: a `keyhound:allow` comment on its line, or its fingerprint in `.keyhoundignore`."]
    with open(summary, "a") as f:
        f.write("\n".join(out) + "\n")
with open(count, "w") as f:
    f.write(str(len(results)))
PY
findings="$(cat "$count")"
rm -f "$count"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "findings=$findings"
    echo "sarif=$sarif"
  } >>"$GITHUB_OUTPUT"
fi
note "$findings finding(s), SARIF in $sarif"
if [ "$findings" -gt 0 ] && [ "$fail" = true ]; then
  exit 1
fi
