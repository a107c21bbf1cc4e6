//! Suppression: `keyhound:allow` on a line, `.keyhoundignore` fingerprints, and the counts
//! that keep suppression visible.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn inline_allow_with_and_without_a_rule_id() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (github_pat(), github_pat(), github_pat());
    write(
        dir.path(),
        "app.py",
        format!(
            "A = '{a}'  # keyhound:allow\nB = '{b}'  # keyhound:allow github-pat-classic\nC = '{c}'  # keyhound:allow aws-access-key-id\n"
        ),
    );
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 finding (1 high) in 1 file"))
        .stderr(predicate::str::contains("2 allowed inline"))
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    assert_eq!(report.as_array().unwrap().len(), 1);
    assert_eq!(report[0]["secret"], c.as_str());

    // --show-suppressed lists them, marked, and they still do not fail the scan.
    write(
        dir.path(),
        "app.py",
        format!("A = '{a}'  // keyhound:allow\n"),
    );
    let out = keyhound()
        .args(["scan", "-f", "json", "--show-suppressed"])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)[0]["suppressed"], "inline");
    let out = keyhound()
        .args(["scan", "-f", "sarif", "--show-suppressed"])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        json(&out)["runs"][0]["results"][0]["suppressions"][0]["kind"],
        "inSource"
    );
}

#[test]
fn keyhoundignore_takes_printed_fingerprints_and_only_new_secrets_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let known = aws_key_id();
    write(
        dir.path(),
        "conf/test.env",
        format!("AWS_ACCESS_KEY_ID={known}\n"),
    );
    let out = keyhound()
        .args(["scan", "--print-fingerprints", "--color", "never"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let fp = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("fingerprint: "))
        .expect("a fingerprint line")
        .to_string();
    write(
        dir.path(),
        ".keyhoundignore",
        format!("# the test account's key\n{fp}\n"),
    );
    keyhound()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 in the ignore file"));

    // Moving the line keeps it ignored; a new secret is reported.
    let new = stripe_key();
    write(
        dir.path(),
        "conf/test.env",
        format!("# moved down\n\nSTRIPE={new}\nAWS_ACCESS_KEY_ID={known}\n"),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    assert_eq!(report.as_array().unwrap().len(), 1);
    assert_eq!(report[0]["secret"], new.as_str());

    // The same list given with --ignore-file works from anywhere; a missing one is an error.
    std::fs::remove_file(dir.path().join(".keyhoundignore")).unwrap();
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), format!("{fp}\n")).unwrap();
    let out = keyhound()
        .args(["scan", "-f", "json", "--ignore-file"])
        .arg(list.path())
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout).as_array().unwrap().len(), 1);
    keyhound()
        .args(["scan", "--ignore-file", "/nonexistent/ignore"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/ignore"));
}

#[test]
fn staged_and_history_honour_inline_allow_and_the_repository_ignore_file() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let allowed = github_pat();
    write(
        dir.path(),
        "ok.py",
        format!("T = '{allowed}'  # keyhound:allow\n"),
    );
    git(dir.path(), &["add", "ok.py"]);
    keyhound().arg("staged").arg(dir.path()).assert().code(0);
    git(dir.path(), &["commit", "-q", "-m", "allowed token"]);

    let old = stripe_key();
    write(dir.path(), "old.rb", format!("K = '{old}'\n"));
    git(dir.path(), &["add", "old.rb"]);
    git(dir.path(), &["commit", "-q", "-m", "old key"]);
    let report = findings_of(&["git", "-f", "json"], dir.path());
    assert_eq!(report.as_array().unwrap().len(), 1);
    let fp = report[0]["fingerprint"].as_str().unwrap().to_string();
    // The ignore file at the top of the work tree applies to history scans too.
    write(dir.path(), ".keyhoundignore", format!("{fp}\n"));
    keyhound()
        .args(["git"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 allowed inline"))
        .stderr(predicate::str::contains("1 in the ignore file"));
}

#[test]
fn baseline_create_scan_add_move_and_update() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let first = aws_key_id();
    let second = github_pat();
    write(&tree, "a.env", format!("K={first}\n"));
    write(&tree, "b.py", format!("T = '{second}'\n"));
    let baseline = dir.path().join("baseline.json");
    keyhound()
        .args(["baseline", "create", "-o"])
        .arg(&baseline)
        .arg(&tree)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("2 findings"));
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(
        !text.contains(&first) && !text.contains(&second),
        "secrets in the baseline"
    );
    let b = json(text.as_bytes());
    assert_eq!(b["findings"].as_array().unwrap().len(), 2);

    // Clean against the baseline.
    keyhound()
        .args(["scan", "--baseline"])
        .arg(&baseline)
        .arg(&tree)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("2 in the baseline"));
    // A new secret is the only finding; moved lines stay accepted.
    let third = stripe_key();
    write(
        &tree,
        "a.env",
        format!("# moved\n\nNEW={third}\nK={first}\n"),
    );
    let mut args = vec![
        "scan".to_string(),
        "-f".into(),
        "json".into(),
        "--baseline".into(),
    ];
    args.push(baseline.to_str().unwrap().into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = findings_of(&args, &tree);
    assert_eq!(report.as_array().unwrap().len(), 1);
    assert_eq!(report[0]["secret"], third.as_str());
    // The same secret moved to another file is new.
    std::fs::remove_file(tree.join("b.py")).unwrap();
    write(&tree, "c.py", format!("T = '{second}'\n"));
    let report = findings_of(&args, &tree);
    assert_eq!(report.as_array().unwrap().len(), 2);

    // Update: the new ones are added, the gone one (b.py) dropped.
    keyhound()
        .args(["baseline", "update", "-o"])
        .arg(&baseline)
        .arg(&tree)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("3 findings (2 added, 1 gone)"));
    keyhound().args(&args).arg(&tree).assert().code(0);
}

#[test]
fn baseline_of_a_git_history_and_a_broken_baseline() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let old = stripe_key();
    write(dir.path(), "old.rb", format!("K = '{old}'\n"));
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "old"]);
    write(dir.path(), "old.rb", "K = ENV['K']\n");
    git(dir.path(), &["commit", "-q", "-am", "fixed"]);
    let baseline = dir.path().join(".git/keyhound-baseline.json");
    keyhound()
        .args(["baseline", "create", "--git", "-o"])
        .arg(&baseline)
        .arg(dir.path())
        .assert()
        .code(0);
    keyhound()
        .args(["git", "--baseline"])
        .arg(&baseline)
        .arg(dir.path())
        .assert()
        .code(0);

    std::fs::write(&baseline, "{ not json").unwrap();
    keyhound()
        .args(["scan", "--baseline"])
        .arg(&baseline)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "keyhound-baseline.json: not a keyhound baseline",
        ));
}
