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
    let summary_path = dir.join("step_summary.md");
    std::fs::write(&summary_path, "").unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/keyhound-action.sh");
    let mut cmd = Process::new("bash");
    cmd.arg(script)
        .current_dir(repo)
        .env("KEYHOUND", assert_cmd::cargo::cargo_bin("keyhound"))
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_OUTPUT", &output_path)
        .env("GITHUB_STEP_SUMMARY", &summary_path)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
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
    // A push that deletes a branch (after = zeros) brings nothing to scan.
    let payload =
        format!(r#"{{"before": "{head}", "after": "0000000000000000000000000000000000000000"}}"#);
    let (out, outputs, _) = action(&repo, "push", &payload, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("deletes a branch"));
    assert!(outputs.contains("findings=0"));
    // The first push of a branch (before = zeros) scans everything.
    let payload =
        format!(r#"{{"before": "0000000000000000000000000000000000000000", "after": "{head}"}}"#);
    let (_, _, sarif) = action(&repo, "push", &payload, &[]);
    assert_eq!(result_uris(&sarif).len(), 2);
}

/// An origin with history and a depth-1 clone of its `feature` branch, as actions/checkout
/// makes by default. main: an old secret, then `base`; feature: two more commits (a new
/// secret, then a clean one) ending at `head`.
struct Shallow {
    _dir: tempfile::TempDir,
    origin: std::path::PathBuf,
    clone: std::path::PathBuf,
    base: String,
    head: String,
    token: String,
}

fn shallow_clone() -> Shallow {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    std::fs::create_dir(&origin).unwrap();
    git(&origin, &["init", "-q", "-b", "main"]);
    // What GitHub allows: fetching any commit a ref reaches, by its id.
    git(
        &origin,
        &["config", "uploadpack.allowReachableSHA1InWant", "true"],
    );
    write(&origin, "old.env", format!("K={}\n", aws_key_id()));
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "old secret"]);
    write(&origin, "README", "one\n");
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "docs"]);
    let base = git(&origin, &["rev-parse", "HEAD"]);
    git(&origin, &["checkout", "-q", "-b", "feature"]);
    let token = github_pat();
    write(&origin, "src/new.py", format!("T = '{token}'\n"));
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "new secret"]);
    write(&origin, "README", "two\n");
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "more docs"]);
    let head = git(&origin, &["rev-parse", "HEAD"]);
    let clone = dir.path().join("clone");
    let url = format!("file://{}", origin.display());
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "feature",
            &url,
            "clone",
        ],
    );
    assert_eq!(
        git(&clone, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    Shallow {
        _dir: dir,
        origin,
        clone,
        base,
        head,
        token,
    }
}

#[test]
fn a_push_to_a_depth_one_checkout_fetches_its_range_annotates_and_summarises() {
    let s = shallow_clone();
    let payload = format!(r#"{{"before": "{}", "after": "{}"}}"#, s.base, s.head);
    // Deepened one commit at a time: the range is two commits deep.
    let (out, outputs, sarif) = action(
        &s.clone,
        "push",
        &payload,
        &[("KEYHOUND_DEEPEN_STEPS", "1 1 1")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("shallow clone: fetching 1 more commits"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("scanning {}..{}", s.base, s.head)),
        "{stderr}"
    );
    // Only what the push brought: not the old secret still in the tree.
    assert_eq!(result_uris(&sarif), vec!["src/new.py"]);
    assert!(outputs.contains("findings=1"), "{outputs}");
    // One annotation, on the file and line, with the rule and the commit, never the secret.
    let new_commit = git(&s.origin, &["rev-parse", "feature~1"]);
    let annotation = stdout
        .lines()
        .find(|l| {
            l.starts_with(
                "::error file=src/new.py,line=1,title=github-pat-classic (high confidence)::",
            )
        })
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(annotation.contains(&new_commit[..7]), "{annotation}");
    let summary =
        std::fs::read_to_string(s.clone.parent().unwrap().join("step_summary.md")).unwrap();
    assert!(summary.contains("## keyhound: 1 finding"), "{summary}");
    assert!(
        summary.contains("| `github-pat-classic` | high | 1 |"),
        "{summary}"
    );
    assert!(
        summary.contains("| `github-pat-classic` | `src/new.py` | 1 |"),
        "{summary}"
    );
    for text in [&*stdout, &*stderr, &summary] {
        assert!(!text.contains(&s.token), "a secret in the log or summary");
    }
}

#[test]
fn a_pull_request_on_a_depth_one_checkout_and_the_fallback_when_the_range_is_gone() {
    let s = shallow_clone();
    // No base id in the payload: the base branch is fetched and its tip taken.
    let payload = format!(r#"{{"pull_request": {{"head": {{"sha": "{}"}}}}}}"#, s.head);
    let (out, _, sarif) = action(
        &s.clone,
        "pull_request",
        &payload,
        &[("GITHUB_BASE_REF", "main")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("scanning {}..{}", s.base, s.head)),
        "{stderr}"
    );
    assert_eq!(result_uris(&sarif), vec!["src/new.py"]);

    // A `before` the remote does not have (a force push that dropped it): the whole history
    // the clone has, said so.
    let s = shallow_clone();
    let gone = "1234567890abcdef1234567890abcdef12345678";
    let payload = format!(r#"{{"before": "{gone}", "after": "{}"}}"#, s.head);
    let (out, _, sarif) = action(&s.clone, "push", &payload, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "commit {gone} is not in the checkout and cannot be fetched"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("scanning the whole history, which this shallow clone cuts short"),
        "{stderr}"
    );
    assert_eq!(result_uris(&sarif), vec!["old.env", "src/new.py"]);
}

#[test]
fn baseline_config_and_extra_args_inputs_reach_the_scan() {
    let (dir, repo, _, _) = three_commits();
    let baseline = dir.path().join("baseline.json");
    keyhound()
        .args(["baseline", "create", "--git", "-o"])
        .arg(&baseline)
        .arg(&repo)
        .assert()
        .code(0);
    let full = &[("INPUT_SCAN", "full")];
    let (out, outputs, _) = action(
        &repo,
        "schedule",
        "{}",
        &[full[0], ("INPUT_BASELINE", baseline.to_str().unwrap())],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(outputs.contains("findings=0"));
    // Words split as a shell splits them, quotes kept.
    let (out, _, sarif) = action(
        &repo,
        "schedule",
        "{}",
        &[
            full[0],
            ("INPUT_EXTRA_ARGS", "--enable-rule 'github-pat-classic'"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(result_uris(&sarif), vec!["new.py"]);
    // A config that allowlists new.py.
    let config = dir.path().join("ci.toml");
    std::fs::write(&config, "[[allowlists]]\npaths = [\"new.py\"]\n").unwrap();
    let (_, _, sarif) = action(
        &repo,
        "schedule",
        "{}",
        &[full[0], ("INPUT_CONFIG", config.to_str().unwrap())],
    );
    assert_eq!(result_uris(&sarif), vec!["old.env"]);
}

/// A release served on 127.0.0.1, as GitHub serves release assets.
struct Releases {
    server: std::process::Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Releases {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn serve_release(tag: &str, target: &str) -> Releases {
    let dir = tempfile::tempdir().unwrap();
    let version = tag.trim_start_matches('v');
    let name = format!("keyhound-{version}-{target}");
    let assets = dir.path().join(tag);
    std::fs::create_dir_all(assets.join(&name)).unwrap();
    std::fs::copy(
        assert_cmd::cargo::cargo_bin("keyhound"),
        assets.join(&name).join("keyhound"),
    )
    .unwrap();
    let archive = format!("{name}.tar.gz");
    let ok = Process::new("tar")
        .args(["-czf", &archive, &name])
        .current_dir(&assets)
        .status()
        .unwrap();
    assert!(ok.success());
    let sum = Process::new("sha256sum")
        .arg(&archive)
        .current_dir(&assets)
        .output()
        .unwrap();
    std::fs::write(assets.join(format!("{archive}.sha256")), &sum.stdout).unwrap();
    let mut server = Process::new("python3")
        .args([
            "-c",
            "import functools, http.server, sys\n\
             h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
             s = http.server.HTTPServer(('127.0.0.1', 0), h)\n\
             print(s.server_port, flush=True)\n\
             s.serve_forever()",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut port,
    )
    .unwrap();
    Releases {
        server,
        url: format!("http://127.0.0.1:{}", port.trim()),
        dir,
    }
}

/// Runs the install script as action.yml does; (exit code, outputs, stderr).
fn install(releases: &Releases, reference: &str, bin: &Path) -> (i32, String, String) {
    let outputs = releases.dir.path().join("outputs");
    std::fs::write(&outputs, "").unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/keyhound-install.sh");
    let out = Process::new("bash")
        .arg(script)
        .env("GITHUB_ACTION_REF", reference)
        .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
        .env("KEYHOUND_RELEASE_URL", &releases.url)
        .env("KEYHOUND_BIN_DIR", bin)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        std::fs::read_to_string(&outputs).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_action_installs_the_release_of_its_tag_and_builds_otherwise() {
    let releases = serve_release("v0.1.0", "x86_64-unknown-linux-musl");
    let bin = releases.dir.path().join("bin");
    let (code, outputs, stderr) = install(&releases, "v0.1.0", &bin);
    assert_eq!(code, 0, "{stderr}");
    assert!(outputs.contains("build=false"), "{outputs}{stderr}");
    assert!(outputs.contains(&format!("bin={}/keyhound", bin.display())));
    let version = Process::new(bin.join("keyhound"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("keyhound "));
    assert!(stderr.contains("installed keyhound"), "{stderr}");
    // A branch, a tag with no release, or an archive whose checksum fails: built instead.
    for (reference, why) in [
        ("main", "not at a release tag"),
        (
            "v9.9.9",
            "has no keyhound-9.9.9-x86_64-unknown-linux-musl.tar.gz",
        ),
    ] {
        let (code, outputs, stderr) = install(&releases, reference, &bin);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            outputs.contains("build=true") && outputs.contains("cache-key=keyhound-Linux-X64-"),
            "{outputs}"
        );
        assert!(stderr.contains(why), "{stderr}");
    }
    let sums = releases
        .dir
        .path()
        .join("v0.1.0/keyhound-0.1.0-x86_64-unknown-linux-musl.tar.gz.sha256");
    std::fs::write(&sums, format!("{}  x.tar.gz\n", "0".repeat(64))).unwrap();
    let (_, outputs, stderr) = install(&releases, "v0.1.0", &releases.dir.path().join("bin2"));
    assert!(outputs.contains("build=true"), "{outputs}");
    assert!(stderr.contains("failed its checksum"), "{stderr}");
    assert!(!releases.dir.path().join("bin2/keyhound").exists());
}
