//! The tree and stdin scans, run through the real binary on trees the tests create.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn finds_generated_secrets_in_a_tree_and_reports_where() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    let aws = aws_key_id();
    write(
        dir.path(),
        "src/config.py",
        format!("import os\n\nGITHUB = \"{pat}\"\n"),
    );
    write(
        dir.path(),
        "deploy/.env",
        format!("AWS_ACCESS_KEY_ID={aws}\n"),
    );
    write(dir.path(), "README.md", "Nothing to see here.\n");

    let report = findings_of(&["scan", "--format", "json"], dir.path());
    assert_eq!(
        found(&report),
        vec![
            ("deploy/.env".to_string(), "aws-access-key-id".to_string()),
            (
                "src/config.py".to_string(),
                "github-pat-classic".to_string()
            ),
        ]
    );
    let gh = &report[1];
    assert_eq!(gh["line"], 3);
    assert_eq!(gh["column"], 11);
    assert_eq!(gh["end_column"], 11 + 40);
    assert_eq!(gh["secret"], pat.as_str());
    assert_eq!(gh["line_content"], format!("GITHUB = \"{pat}\""));
    assert_eq!(gh["confidence"], "high");
    assert!(gh["entropy"].as_f64().unwrap() > 3.5);
    assert_eq!(gh["fingerprint"].as_str().unwrap().len(), 32);
}

#[test]
fn clean_tree_exits_zero_and_exit_code_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", "hello\n");
    keyhound().arg("scan").arg(dir.path()).assert().code(0);

    write(dir.path(), "b.txt", format!("token: {}\n", stripe_key()));
    keyhound().arg("scan").arg(dir.path()).assert().code(1);
    keyhound()
        .args(["scan", "--exit-code", "42"])
        .arg(dir.path())
        .assert()
        .code(42);
}

#[test]
fn fingerprint_is_stable_when_lines_move() {
    let dir = tempfile::tempdir().unwrap();
    let key = stripe_key();
    write(dir.path(), "app.rb", format!("Stripe.api_key = '{key}'\n"));
    let first = json(
        &keyhound()
            .args(["scan", "-f", "json"])
            .arg(dir.path())
            .output()
            .unwrap()
            .stdout,
    );
    write(
        dir.path(),
        "app.rb",
        format!("# moved\n\n\nStripe.api_key = '{key}'\n"),
    );
    let second = json(
        &keyhound()
            .args(["scan", "-f", "json"])
            .arg(dir.path())
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(first[0]["line"], 1);
    assert_eq!(second[0]["line"], 4);
    assert_eq!(first[0]["fingerprint"], second[0]["fingerprint"]);
}

#[test]
fn stdin_is_scanned_with_dash_and_from_a_pipe() {
    let token = slack_bot_token();
    let input = format!("log line\nslack={token}\n");
    let out = keyhound()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(input.clone())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    assert_eq!(
        found(&report),
        vec![("<stdin>".into(), "slack-bot-token".into())]
    );
    assert_eq!(report[0]["line"], 2);

    // No path and a pipe on stdin: stdin is what gets scanned.
    keyhound()
        .args(["scan", "-f", "jsonl"])
        .write_stdin(input)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("slack-bot-token"));
    keyhound()
        .args(["scan", "-"])
        .write_stdin("nothing\n")
        .assert()
        .code(0);
}

#[test]
fn gitignored_files_are_skipped_unless_no_ignore() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "secrets/\n*.log\n");
    write(
        dir.path(),
        "secrets/prod.env",
        format!("K={}\n", aws_key_id()),
    );
    write(dir.path(), "debug.log", format!("K={}\n", github_pat()));
    write(dir.path(), "kept.txt", "clean\n");
    keyhound().arg("scan").arg(dir.path()).assert().code(0);
    let out = keyhound()
        .args(["scan", "--no-ignore", "-f", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        found(&json(&out)),
        vec![
            ("debug.log".into(), "github-pat-classic".into()),
            ("secrets/prod.env".into(), "aws-access-key-id".into()),
        ]
    );
}

#[test]
fn hidden_files_are_scanned_by_default_and_git_dir_never() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", format!("STRIPE={}\n", stripe_key()));
    write(
        dir.path(),
        ".git/config",
        format!("token = {}\n", github_pat()),
    );
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        found(&json(&out)),
        vec![(".env".into(), "stripe-secret-key".into())]
    );
    keyhound()
        .args(["scan", "--no-hidden"])
        .arg(dir.path())
        .assert()
        .code(0);
}

#[test]
fn binary_and_oversize_files_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut binary = b"\x7fELF\x00\x00\x00".to_vec();
    binary.extend_from_slice(github_pat().as_bytes());
    write(dir.path(), "tool.bin", binary);
    let mut big = "x".repeat(2000);
    big.push_str(&format!("\nkey={}\n", aws_key_id()));
    write(dir.path(), "big.txt", big);
    write(dir.path(), "small.txt", "fine\n");

    keyhound()
        .args(["scan", "--max-file-size", "1K"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 findings in 1 file"))
        .stderr(predicate::str::contains("1 binary"))
        .stderr(predicate::str::contains("1 too large"));
    // -v names each skipped file and why.
    keyhound()
        .args(["scan", "-v", "--max-file-size", "1K"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("skipped tool.bin: binary"))
        .stderr(predicate::str::contains("skipped big.txt:"));
    // Raising the limit brings the big file back in.
    keyhound()
        .args(["scan", "--max-file-size", "1M"])
        .arg(dir.path())
        .assert()
        .code(1);
}

#[test]
fn invalid_utf8_around_a_secret_does_not_hide_it() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    let mut content = b"caf\xe9 \xff\xfe token=".to_vec();
    content.extend_from_slice(pat.as_bytes());
    content.extend_from_slice(b" \xc3\x28\n");
    write(dir.path(), "latin1.txt", content);
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    assert_eq!(report[0]["secret"], pat.as_str());
    assert_eq!(report[0]["rule_id"], "github-pat-classic");
    // Columns count characters: "caf\xe9 \xff\xfe token=" is 14 of them.
    assert_eq!(report[0]["column"], 15);
}

#[test]
fn empty_directory_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    keyhound()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 findings in 0 files"));
}

#[test]
fn nonexistent_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    keyhound()
        .arg("scan")
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(missing.display().to_string()))
        .stderr(predicate::str::contains("No such file or directory"));
}

#[test]
fn usage_errors_exit_two() {
    keyhound()
        .args(["scan", "--format", "xml"])
        .assert()
        .code(2);
    keyhound()
        .args(["scan", "--max-file-size", "lots"])
        .assert()
        .code(2);
    keyhound().args(["frobnicate"]).assert().code(2);
}

#[test]
fn a_single_file_can_be_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "one.yaml",
        format!("slack: {}\n", slack_bot_token()),
    );
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .arg(dir.path().join("one.yaml"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    assert!(report[0]["path"].as_str().unwrap().ends_with("one.yaml"));
}

/// Runs the binary as an unprivileged user when the tests run as root (as CI does), since root
/// can read a file whatever its mode.
#[cfg(unix)]
fn keyhound_unprivileged() -> std::process::Command {
    let bin = assert_cmd::cargo::cargo_bin("keyhound");
    // SAFETY-free check of the effective user: /proc/self/status has "Uid: real effective …".
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0");
    if root {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin);
        cmd
    } else {
        std::process::Command::new(bin)
    }
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_warned_about_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pat = github_pat();
    write(dir.path(), "readable.txt", format!("gh={pat}\n"));
    write(dir.path(), "locked.txt", format!("gh={}\n", github_pat()));
    write(dir.path(), "closed/inner.txt", "x\n");
    std::fs::set_permissions(
        dir.path().join("readable.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join("locked.txt"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join("closed"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();

    let out = keyhound_unprivileged()
        .args(["scan", "-f", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let report = json(&out.stdout);
    assert_eq!(
        found(&report),
        vec![("readable.txt".into(), "github-pat-classic".into())]
    );
    assert!(stderr.contains("locked.txt"), "{stderr}");
    assert!(stderr.contains("closed"), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(stderr.contains("2 unreadable"), "{stderr}");
    std::fs::set_permissions(
        dir.path().join("closed"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

#[cfg(unix)]
#[test]
fn an_unwritable_output_directory_is_an_error_and_leaves_nothing_behind() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    write(
        dir.path(),
        "in/a.env",
        format!("GITHUB_TOKEN={}\n", github_pat()),
    );
    std::fs::set_permissions(
        dir.path().join("in/a.env"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join("in"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let out_dir = dir.path().join("ro");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = keyhound_unprivileged()
        .args(["scan", "-f", "json", "-o"])
        .arg(out_dir.join("report.json"))
        .arg(dir.path().join("in"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("report.json: Permission denied"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0);
}

#[test]
fn the_work_trees_config_applies_to_a_subdirectory_and_a_file() {
    let dir = tempfile::tempdir().unwrap();
    common::git(dir.path(), &["init", "-q"]);
    write(
        dir.path(),
        ".keyhound.toml",
        "[[allowlists]]\npaths = [\"**/vendored/**\"]\n",
    );
    write(
        dir.path(),
        "src/vendored/a.env",
        format!("K={}\n", aws_key_id()),
    );
    write(dir.path(), "src/b.env", format!("K={}\n", aws_key_id()));
    for target in ["src", "src/vendored/a.env"] {
        let out = keyhound()
            .current_dir(dir.path())
            .args(["scan", "-f", "json", target])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let paths: Vec<String> = found(&json(&out.stdout)).into_iter().map(|f| f.0).collect();
        assert!(
            !paths.iter().any(|p| p.contains("vendored")),
            "{target}: {paths:?}"
        );
        assert!(stderr.contains("1 by allowlist"), "{target}: {stderr}");
    }
}

#[test]
fn several_roots_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let key = aws_key_id();
    write(dir.path(), "a/x.env", format!("K={key}\n"));
    write(dir.path(), "b/x.env", format!("K={key}\n"));
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .arg(dir.path().join("a"))
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    let mut paths: Vec<String> = found(&json(&out.stdout)).into_iter().map(|f| f.0).collect();
    paths.sort();
    let a = dir.path().join("a/x.env").to_string_lossy().into_owned();
    let b = dir.path().join("b/x.env").to_string_lossy().into_owned();
    assert_eq!(paths, [a, b]);
    // One root is still shown relative to itself.
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    assert_eq!(
        found(&json(&out.stdout)),
        [("x.env".into(), "aws-access-key-id".into())]
    );
}

#[cfg(unix)]
#[test]
fn a_named_file_that_cannot_be_read_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    write(dir.path(), "locked.env", format!("K={}\n", aws_key_id()));
    let locked = dir.path().join("locked.env");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = keyhound_unprivileged()
        .args(["scan"])
        .arg(&locked)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("locked.env") && l.contains("Permission denied")),
        "{stderr}"
    );
}

#[test]
fn an_empty_pipe_says_so() {
    let out = keyhound()
        .args(["scan", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("<stdin>: empty input"), "{stderr}");
}

#[test]
fn ignored_paths_are_counted_and_named_with_verbose() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "build/\n*.log\n");
    write(dir.path(), "build/out.env", format!("K={}\n", aws_key_id()));
    write(dir.path(), "debug.log", "x\n");
    write(dir.path(), "kept.txt", "x\n");
    let out = keyhound().args(["scan"]).arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("; 2 ignored"), "{stderr}");
    let out = keyhound()
        .args(["scan", "-v"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in ["build", "debug.log"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&format!("skipped {name}: ignored"))),
            "{name}: {stderr}"
        );
    }
    // --no-ignore scans them.
    let out = keyhound()
        .args(["scan", "--no-ignore"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
