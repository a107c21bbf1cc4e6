//! The GitHub Action's scan step (`.github/keyhound-action.sh`, run by `action.yml`) on a real
//! repository, with the environment and event payloads GitHub provides.

mod common;

use std::path::Path;
use std::process::{Command as Process, Output};

use common::*;

/// Runs the action script in `repo` as GitHub would for `event` with `payload`.
fn action(
    repo: &Path,
    event: &str,
    payload: &str,
    inputs: &[(&str, &str)],
) -> (Output, String, serde_json::Value) {
    let dir = repo.parent().unwrap();
    let event_path = dir.join("event.json");
    std::fs::write(&event_path, payload).unwrap();
    let output_path = dir.join("github_output");
    std::fs::write(&output_path, "").unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/keyhound-action.sh");
    let mut cmd = Process::new("bash");
    cmd.arg(script)
        .current_dir(repo)
        .env("KEYHOUND", assert_cmd::cargo::cargo_bin("keyhound"))
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_OUTPUT", &output_path)
        .env("GITHUB_SHA", git(repo, &["rev-parse", "HEAD"]));
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let outputs = std::fs::read_to_string(&output_path).unwrap();
    let sarif = std::fs::read(repo.join("keyhound.sarif"))
        .map(|b| json(&b))
        .unwrap_or_default();
    (out, outputs, sarif)
}

fn result_uris(sarif: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn three_commits() -> (tempfile::TempDir, std::path::PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo, "old.env", format!("K={}\n", aws_key_id()));
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "old secret"]);
    let before = git(&repo, &["rev-parse", "HEAD"]);
    write(&repo, "new.py", format!("T = '{}'\n", github_pat()));
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "new secret"]);
    let after = git(&repo, &["rev-parse", "HEAD"]);
    (dir, repo, before, after)
}

#[test]
fn a_push_scans_its_commits_and_fails_on_findings() {
    let (_dir, repo, before, after) = three_commits();
    let payload = format!(r#"{{"before": "{before}", "after": "{after}"}}"#);
    let (out, outputs, sarif) = action(&repo, "push", &payload, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("scanning {before}..{after}")),
        "{stderr}"
    );
    assert_eq!(result_uris(&sarif), vec!["new.py"]);
    assert!(
        outputs.contains("findings=1") && outputs.contains("sarif=keyhound.sarif"),
        "{outputs}"
    );

    // fail-on-findings: false reports without failing.
    let (out, _, _) = action(
        &repo,
        "push",
        &payload,
        &[("INPUT_FAIL_ON_FINDINGS", "false")],
    );
    assert_eq!(out.status.code(), Some(0));
    // A push with nothing new is clean.
    let payload = format!(r#"{{"before": "{after}", "after": "{after}"}}"#);
    let (out, outputs, _) = action(&repo, "push", &payload, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(outputs.contains("findings=0"));
}

#[test]
fn a_pull_request_scans_base_to_head_and_other_events_the_whole_history() {
    let (_dir, repo, base, head) = three_commits();
    let payload = format!(
        r#"{{"pull_request": {{"base": {{"sha": "{base}"}}, "head": {{"sha": "{head}"}}}}}}"#
    );
    let (out, _, sarif) = action(&repo, "pull_request", &payload, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(result_uris(&sarif), vec!["new.py"]);

    for (event, inputs) in [
        ("schedule", vec![]),
        ("pull_request", vec![("INPUT_SCAN", "full")]),
    ] {
        let (out, _, sarif) = action(&repo, event, &payload, &inputs);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("scanning the whole history"), "{stderr}");
        assert_eq!(result_uris(&sarif), vec!["new.py", "old.env"]);
    }
    // The first push of a branch (before = zeros) scans everything.
    let payload =
        format!(r#"{{"before": "0000000000000000000000000000000000000000", "after": "{head}"}}"#);
    let (_, _, sarif) = action(&repo, "push", &payload, &[]);
    assert_eq!(result_uris(&sarif).len(), 2);
}
