//! `keyhound git` (history) and `keyhound staged` (pre-commit) on real repositories that the
//! tests build with the git command line.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use common::*;
use predicates::prelude::*;

/// A scratch repository driven through the git CLI, with fixed identities and dates.
struct Repo {
    _dir: tempfile::TempDir,
    path: PathBuf,
    tick: std::cell::Cell<u64>,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).unwrap();
        let repo = Repo {
            _dir: dir,
            path,
            tick: std::cell::Cell::new(0),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(&self.path, args, self.tick.get())
    }

    fn write(&self, rel: &str, content: &str) {
        write(&self.path, rel, content);
    }

    /// Stages everything and commits; returns the new commit id.
    fn commit(&self, message: &str) -> String {
        self.tick.set(self.tick.get() + 1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn history(&self, extra: &[&str]) -> (i32, serde_json::Value, String) {
        self.run("git", extra)
    }

    fn staged(&self) -> (i32, serde_json::Value, String) {
        self.run("staged", &[])
    }

    /// Runs `keyhound SUBCOMMAND -f json EXTRA… REPO`: exit code (0 or 1), report, stderr.
    fn run(&self, subcommand: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
        let out = keyhound()
            .args([subcommand, "-f", "json"])
            .args(extra)
            .arg(&self.path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().unwrap_or(-1);
        assert!(code == 0 || code == 1, "exit {code}: {stderr}");
        (code, json(&out.stdout), stderr)
    }
}

fn git_in(dir: &Path, args: &[&str], tick: u64) -> String {
    let date = format!("{} +0100", 1_700_000_000 + tick * 60);
    let out = Process::new("git")
        .args([
            "-c",
            "protocol.file.allow=always",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn findings(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report.as_array().unwrap()
}

#[test]
fn a_secret_added_then_deleted_is_found_in_history_not_in_the_tree() {
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit("initial");
    let pat = github_pat();
    repo.write(
        "config/settings.py",
        &format!("DEBUG = True\nTOKEN = \"{pat}\"\n"),
    );
    let added = repo.commit("add settings");
    repo.write(
        "config/settings.py",
        "DEBUG = True\nTOKEN = os.environ['TOKEN']\n",
    );
    repo.commit("use the environment");

    keyhound().arg("scan").arg(&repo.path).assert().code(0);
    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 1);
    let f = &findings(&report)[0];
    assert_eq!(findings(&report).len(), 1, "{report:#}");
    assert_eq!(f["rule_id"], "github-pat-classic");
    assert_eq!(f["path"], "config/settings.py");
    assert_eq!(f["line"], 2);
    assert_eq!(f["secret"], pat.as_str());
    assert_eq!(f["commit"], added.as_str());
    assert_eq!(f["author"], "Ada Lovelace");
    assert_eq!(f["email"], "ada@example.com");
    assert_eq!(f["message"], "add settings");
    assert_eq!(f["date"], "2023-11-14T23:15:20+01:00");
    let blob = repo.git(&["rev-parse", &format!("{added}:config/settings.py")]);
    assert_eq!(f["blob"], blob.as_str());
    assert!(stderr.contains("from 3 commits"), "{stderr}");
}

#[test]
fn a_secret_kept_through_many_commits_is_reported_once() {
    let repo = Repo::new();
    let key = stripe_key();
    repo.write("billing.rb", &format!("KEY = '{key}'\n"));
    let first = repo.commit("billing");
    for i in 0..25 {
        repo.write("billing.rb", &format!("KEY = '{key}'\n# revision {i}\n"));
        repo.commit(&format!("revision {i}"));
    }
    let (_, report, stderr) = repo.history(&[]);
    assert_eq!(findings(&report).len(), 1, "{report:#}");
    assert_eq!(findings(&report)[0]["commit"], first.as_str());
    // 26 versions of the file, each scanned once.
    assert!(stderr.contains("in 26 blobs"), "{stderr}");
}

#[test]
fn a_renamed_file_keeps_its_first_commit_and_path() {
    let repo = Repo::new();
    let aws = aws_key_id();
    repo.write("old/keys.env", &format!("AWS_ACCESS_KEY_ID={aws}\n"));
    let first = repo.commit("keys");
    repo.git(&["mv", "old", "new"]);
    let moved = repo.commit("move");
    let (_, report, _) = repo.history(&[]);
    let got = pairs(&report, "path", "commit");
    // One blob, two paths: once per (blob, path), each at the commit that put it there.
    assert_eq!(
        got,
        vec![
            ("new/keys.env".into(), moved),
            ("old/keys.env".into(), first)
        ]
    );
    let blobs: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["blob"].as_str().unwrap())
        .collect();
    assert_eq!(blobs[0], blobs[1]);
}

#[test]
fn unmerged_branches_tags_and_the_branch_option() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let on_branch = slack_bot_token();
    repo.write("bot.yaml", &format!("token: {on_branch}\n"));
    let branch_commit = repo.commit("bot on a branch");
    repo.git(&["checkout", "-q", "main"]);
    // A tag on a commit that no branch contains.
    repo.git(&["checkout", "-q", "--detach"]);
    let in_tag = github_pat();
    repo.write("release.env", &format!("GH={in_tag}\n"));
    let tag_commit = repo.commit("release only");
    repo.git(&["tag", "v1.0"]);
    repo.git(&["checkout", "-q", "main"]);

    let (_, report, _) = repo.history(&[]);
    let got = pairs(&report, "secret", "commit");
    let mut want = vec![
        (on_branch.clone(), branch_commit),
        (in_tag.clone(), tag_commit),
    ];
    want.sort();
    assert_eq!(got, want);

    let (code, report, _) = repo.history(&["--branch", "main"]);
    assert_eq!(code, 0, "{report:#}");
    let (_, report, _) = repo.history(&["--branch", "feature"]);
    assert_eq!(findings(&report).len(), 1);
    assert_eq!(findings(&report)[0]["secret"], on_branch.as_str());
}

#[test]
fn range_and_since_commit_scan_only_what_the_commits_introduced() {
    let repo = Repo::new();
    let old = aws_key_id();
    repo.write("old.env", &format!("K={old}\n"));
    let base = repo.commit("old secret");
    let new = github_pat();
    repo.write("new.py", &format!("T = '{new}'\n"));
    let c2 = repo.commit("new secret");
    repo.write("other.txt", "unrelated\n");
    repo.commit("unrelated");

    for args in [
        vec!["--range".to_string(), format!("{base}..HEAD")],
        vec!["--since-commit".to_string(), base.clone()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, report, stderr) = repo.history(&args);
        assert_eq!(findings(&report).len(), 1, "{args:?}: {report:#}");
        assert_eq!(findings(&report)[0]["secret"], new.as_str());
        assert_eq!(findings(&report)[0]["commit"], c2.as_str());
        // Blobs already in `base` (old.env) are not rescanned.
        assert!(
            stderr.contains("in 2 blobs") && stderr.contains("from 2 commits"),
            "{stderr}"
        );
    }
    let (code, _, _) = repo.history(&["--range", &format!("{c2}..HEAD")]);
    assert_eq!(code, 0);
    keyhound()
        .args(["git", "--range", "nope..HEAD"])
        .arg(&repo.path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'nope' does not name a commit"));
}

#[test]
fn merges_attribute_to_the_branch_commit_and_evil_merges_to_the_merge() {
    let repo = Repo::new();
    repo.write("app.txt", "one\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    let from_topic = stripe_key();
    repo.write("topic.rb", &format!("K = '{from_topic}'\n"));
    let topic_commit = repo.commit("topic secret");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main work\n");
    repo.commit("main work");
    repo.tick.set(repo.tick.get() + 1);
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "topic"]);
    // A secret that only the merge commit adds.
    let in_merge = slack_bot_token();
    repo.write("merge.yaml", &format!("slack: {in_merge}\n"));
    repo.git(&["add", "merge.yaml"]);
    repo.git(&["commit", "-q", "-m", "merge topic"]);
    let merge = repo.git(&["rev-parse", "HEAD"]);

    let (_, report, _) = repo.history(&[]);
    let by_secret = |s: &str| {
        findings(&report)
            .iter()
            .find(|f| f["secret"] == s)
            .unwrap_or_else(|| panic!("{s} not found: {report:#}"))["commit"]
            .clone()
    };
    assert_eq!(findings(&report).len(), 2);
    assert_eq!(by_secret(&from_topic), topic_commit.as_str());
    assert_eq!(by_secret(&in_merge), merge.as_str());
}

#[test]
fn bare_and_shallow_clones() {
    let repo = Repo::new();
    let first = aws_key_id();
    repo.write("a.env", &format!("K={first}\n"));
    repo.commit("one");
    repo.write("a.env", "K=from-vault\n");
    repo.commit("two");
    let last = github_pat();
    repo.write("b.py", &format!("T='{last}'\n"));
    repo.commit("three");

    let bare = repo.path.with_file_name("bare.git");
    git_in(
        repo.path.parent().unwrap(),
        &[
            "clone",
            "-q",
            "--bare",
            repo.path.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
        0,
    );
    let out = keyhound()
        .args(["git", "-f", "json"])
        .arg(&bare)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out.stdout).as_array().unwrap().len(), 2);

    let shallow = repo.path.with_file_name("shallow");
    let url = format!("file://{}", repo.path.display());
    git_in(
        repo.path.parent().unwrap(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            shallow.to_str().unwrap(),
        ],
        0,
    );
    let out = keyhound()
        .args(["git", "-f", "json"])
        .arg(&shallow)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report = json(&out.stdout);
    // Only the last commit is there: the first secret is gone with the history.
    assert_eq!(findings(&report).len(), 1);
    assert_eq!(findings(&report)[0]["secret"], last.as_str());
    assert!(stderr.contains("shallow"), "{stderr}");
}

#[test]
fn unreachable_blobs_only_with_the_flag() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("base");
    let lost = stripe_key();
    let lost_file = repo.path.join("lost.txt");
    std::fs::write(&lost_file, format!("key={lost}\n")).unwrap();
    let blob = repo.git(&["hash-object", "-w", lost_file.to_str().unwrap()]);
    std::fs::remove_file(&lost_file).unwrap();

    let (code, _, _) = repo.history(&[]);
    assert_eq!(code, 0);
    let (code, report, _) = repo.history(&["--unreachable"]);
    assert_eq!(code, 1);
    let f = &findings(&report)[0];
    assert_eq!(f["secret"], lost.as_str());
    assert_eq!(f["blob"], blob.as_str());
    assert_eq!(f["path"], format!("<unreachable>/{blob}"));
    assert!(f.get("commit").is_none());

    // With a range, what the refs reach before it is still reachable: only the lost blob is
    // reported, never the older commit's secret as unreachable.
    repo.write("old.env", &format!("STRIPE={}\n", stripe_key()));
    repo.commit("old secret");
    repo.write("a.txt", "b\n");
    let before = repo.commit("the range's base, which leaves old.env as it was");
    repo.write("a.txt", "c\n");
    repo.commit("in the range");
    let range = format!("{before}..HEAD");
    let (code, report, _) = repo.history(&["--unreachable", "--range", &range]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [format!("<unreachable>/{blob}")]);
}

#[test]
fn lfs_pointers_binary_and_huge_blobs_are_skipped_and_counted() {
    let repo = Repo::new();
    repo.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    let mut binary = b"\x89PNG\r\n\x1a\n\x00\x00".to_vec();
    binary.extend_from_slice(github_pat().as_bytes());
    std::fs::write(repo.path.join("logo.png"), binary).unwrap();
    let mut big = "y".repeat(4096);
    big.push_str(&format!("\nK={}\n", aws_key_id()));
    repo.write("big.txt", &big);
    repo.commit("assets");
    let out = keyhound()
        .args(["git", "--max-file-size", "2K"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 binary"), "{stderr}");
    assert!(stderr.contains("1 too large"), "{stderr}");
    assert!(stderr.contains("1 LFS pointers"), "{stderr}");
    let out = keyhound()
        .args(["git", "-v", "--max-file-size", "2K"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(model.bin): Git LFS pointer"), "{stderr}");
    assert!(stderr.contains("(logo.png): binary"), "{stderr}");
}

#[test]
fn a_corrupt_object_is_reported_by_id_and_the_scan_goes_on() {
    let repo = Repo::new();
    let kept = github_pat();
    repo.write("kept.py", &format!("T='{kept}'\n"));
    repo.write("broken.txt", "this blob will be damaged\n");
    repo.commit("two files");
    let broken = repo.git(&["rev-parse", "HEAD:broken.txt"]);
    let object = repo
        .path
        .join(".git/objects")
        .join(&broken[..2])
        .join(&broken[2..]);
    std::fs::set_permissions(&object, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    std::fs::write(&object, b"not zlib data at all").unwrap();

    let out = keyhound()
        .args(["git", "-f", "json"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("object {broken}")), "{stderr}");
    assert!(stderr.contains("1 unreadable"), "{stderr}");
    assert_eq!(json(&out.stdout)[0]["secret"], kept.as_str());
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    keyhound()
        .arg("git")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a git repository"))
        .stderr(predicate::str::contains(dir.path().display().to_string()));
}

#[test]
fn an_empty_repository_is_clean() {
    let repo = Repo::new();
    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 0);
    assert!(findings(&report).is_empty());
    assert!(stderr.contains("0 findings in 0 blobs"), "{stderr}");
}

#[test]
fn sarif_carries_the_commit() {
    let repo = Repo::new();
    repo.write("k.env", &format!("K={}\n", aws_key_id()));
    let commit = repo.commit("key");
    let out = keyhound()
        .args(["git", "-f", "sarif"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let sarif = json(&out.stdout);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["properties"]["commit"], commit.as_str());
    assert_eq!(result["properties"]["author"], "Ada Lovelace");
    assert_eq!(result["partialFingerprints"]["commit"], commit.as_str());
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k.env"
    );
}

#[test]
fn redact_applies_to_history_findings() {
    let repo = Repo::new();
    let pat = github_pat();
    repo.write("t.py", &format!("T='{pat}'\n"));
    repo.commit("t");
    for format in ["json", "human", "sarif", "jsonl"] {
        let out = keyhound()
            .args(["git", "--redact", "-f", format])
            .arg(&repo.path)
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(&pat),
            "{format}"
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains(&pat),
            "{format}"
        );
    }
}

#[test]
fn submodules_are_entered_only_when_asked() {
    let inner = Repo::new();
    let secret = stripe_key();
    inner.write("pay.rb", &format!("KEY='{secret}'\n"));
    inner.commit("inner secret");
    let outer = Repo::new();
    outer.write("README.md", "outer\n");
    outer.commit("outer");
    outer.git(&[
        "submodule",
        "add",
        "-q",
        inner.path.to_str().unwrap(),
        "vendor/inner",
    ]);
    outer.commit("add submodule");

    let (code, _, _) = outer.history(&[]);
    assert_eq!(code, 0);
    let (code, report, _) = outer.history(&["--recurse-submodules"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report)[0]["path"], "vendor/inner/pay.rb");
    assert_eq!(findings(&report)[0]["secret"], secret.as_str());
}

#[test]
fn staged_reports_only_added_lines_with_new_line_numbers() {
    let repo = Repo::new();
    let old = aws_key_id();
    repo.write("app.env", &format!("A=1\nOLD={old}\n"));
    repo.commit("old key already committed");

    // A new secret staged at line 2 of the new file; the old one moves to line 4.
    let new = github_pat();
    repo.write("app.env", &format!("A=1\nGH={new}\nB=2\nOLD={old}\n"));
    repo.git(&["add", "app.env"]);
    // An unstaged change holds a secret too: not part of the commit.
    repo.write(
        "app.env",
        &format!("A=1\nGH={new}\nB=2\nOLD={old}\nS={}\n", stripe_key()),
    );

    let (code, report, _) = repo.staged();
    assert_eq!(code, 1);
    assert_eq!(findings(&report).len(), 1, "{report:#}");
    assert_eq!(findings(&report)[0]["secret"], new.as_str());
    assert_eq!(findings(&report)[0]["line"], 2);
    assert_eq!(findings(&report)[0]["path"], "app.env");
    // `scan --staged` is the same scan.
    keyhound()
        .args(["scan", "--staged", "-f", "jsonl"])
        .arg(&repo.path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(new.as_str()));
}

#[test]
fn staged_removal_rename_and_binary_are_not_findings() {
    let repo = Repo::new();
    let pat = github_pat();
    repo.write("a.py", &format!("T='{pat}'\nX=1\n"));
    repo.commit("secret committed long ago");
    // Removing the secret.
    repo.write("a.py", "X=1\n");
    repo.git(&["add", "a.py"]);
    let (code, _, _) = repo.staged();
    assert_eq!(code, 0);
    repo.commit("remove it");

    let key = stripe_key();
    repo.write("b.rb", &format!("K='{key}'\nputs 1\nputs 2\nputs 3\n"));
    repo.commit("b");
    // Renaming a file with an old secret adds no new line with it.
    repo.git(&["mv", "b.rb", "c.rb"]);
    let mut binary = b"\x00\x01\x02".to_vec();
    binary.extend_from_slice(aws_key_id().as_bytes());
    std::fs::write(repo.path.join("blob.bin"), binary).unwrap();
    repo.git(&["add", "blob.bin"]);
    let (code, report, stderr) = repo.staged();
    assert_eq!(code, 0, "{report:#} {stderr}");
    assert!(stderr.contains("1 binary"), "{stderr}");
}

#[test]
fn staged_works_before_the_first_commit_and_during_a_merge() {
    let repo = Repo::new();
    let pat = github_pat();
    repo.write("first.py", &format!("T='{pat}'\n"));
    repo.git(&["add", "first.py"]);
    let (code, report, _) = repo.staged();
    assert_eq!(code, 1);
    assert_eq!(findings(&report)[0]["line"], 1);
    repo.commit("first");

    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("conflict.txt", "side\n");
    repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("conflict.txt", "main\n");
    repo.commit("main");
    let merge = Process::new("git")
        .args(["merge", "-q", "side"])
        .current_dir(&repo.path)
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "A")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .output()
        .unwrap();
    assert!(!merge.status.success(), "the merge should conflict");
    let key = stripe_key();
    repo.write("resolved.rb", &format!("K='{key}'\n"));
    repo.git(&["add", "resolved.rb"]);
    let (code, report, stderr) = repo.staged();
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&report)[0]["secret"], key.as_str());
    assert!(
        stderr.contains("conflict.txt: unresolved merge conflict"),
        "{stderr}"
    );
}

#[test]
fn different_secrets_at_the_same_place_in_two_versions_are_both_reported() {
    let repo = Repo::new();
    let first = github_pat();
    repo.write("token.txt", &format!("{first}\n"));
    let c1 = repo.commit("first token");
    let second = github_pat();
    repo.write("token.txt", &format!("{second}\n"));
    let c2 = repo.commit("rotated token");
    let (_, report, _) = repo.history(&[]);
    let got = pairs(&report, "secret", "commit");
    let mut want = vec![(first, c1), (second, c2)];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn linked_worktrees_and_quiet_output() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("base");
    let wt = repo.path.with_file_name("linked");
    repo.git(&["worktree", "add", "-q", "-b", "wt", wt.to_str().unwrap()]);
    let key = stripe_key();
    write(&wt, "pay.rb", format!("K='{key}'\n"));
    git_in(&wt, &["add", "pay.rb"], 5);
    // Staged in the linked worktree: found there.
    let out = keyhound()
        .args(["staged", "-f", "json"])
        .arg(&wt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out.stdout)[0]["secret"], key.as_str());
    git_in(&wt, &["commit", "-q", "-m", "in the worktree"], 6);
    // The history seen from the linked worktree holds its branch.
    let out = keyhound()
        .args(["git", "-q", "-f", "json"])
        .arg(&wt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out.stdout)[0]["secret"], key.as_str());
    // --quiet: no summary, no progress bar, nothing on stderr.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_corrupt_pack_and_a_missing_object_are_reported_and_the_scan_goes_on() {
    let repo = Repo::new();
    let kept = github_pat();
    repo.write("kept.env", &format!("GITHUB_TOKEN={kept}\n"));
    // Incompressible contents, so that the damaged middle of the pack belongs to them.
    for i in 0..20 {
        repo.write(
            &format!("data/f{i}.txt"),
            &random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 3000),
        );
    }
    repo.commit("many files");
    repo.git(&["gc", "-q"]);
    let pack_dir = repo.path.join(".git/objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    std::fs::set_permissions(&pack, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let mut bytes = std::fs::read(&pack).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 200] {
        *b ^= 0xFF;
    }
    std::fs::write(&pack, bytes).unwrap();
    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(stderr.contains("unreadable"), "{stderr}");
    assert!(findings(&report)
        .iter()
        .any(|f| f["secret"] == kept.as_str()));

    // A blob that a tree names but the object store lacks.
    let repo = Repo::new();
    repo.write("kept.env", &format!("GITHUB_TOKEN={kept}\n"));
    repo.write("gone.txt", "this blob will disappear\n");
    repo.commit("two files");
    let gone = repo.git(&["rev-parse", "HEAD:gone.txt"]);
    std::fs::remove_file(
        repo.path
            .join(".git/objects")
            .join(&gone[..2])
            .join(&gone[2..]),
    )
    .unwrap();
    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&gone), "{stderr}");
    assert_eq!(findings(&report).len(), 1);
}

#[test]
fn a_hundred_thousand_refs_to_one_commit() {
    let repo = Repo::new();
    let pat = github_pat();
    repo.write("a.env", &format!("GITHUB_TOKEN={pat}\n"));
    let head = repo.commit("one secret");
    let refs: String = (0..100_000)
        .map(|i| format!("create refs/tags/t{i} {head}\n"))
        .collect();
    let mut child = Process::new("git")
        .args(["update-ref", "--stdin"])
        .current_dir(&repo.path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), refs.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&report).len(), 1, "{report:#}");
    assert_eq!(findings(&report)[0]["commit"], head.as_str());
}

/// Every file under `dir` (the `.git` directory included) with its size and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path(), meta.len(), meta.modified().unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn repository_content_is_never_run_and_the_repository_never_written() {
    let repo = Repo::new();
    let marker = repo.path.parent().unwrap().join("ran");
    let touch = format!("touch {}", marker.display());
    repo.write(".gitattributes", "*.env filter=evil diff=evil\n");
    repo.write("a.env", &format!("GITHUB_TOKEN={}\n", github_pat()));
    repo.commit("filtered");
    repo.write("b.env", &format!("GITHUB_TOKEN={}\n", github_pat()));
    repo.git(&["add", "b.env"]);
    // Now a filter driver, a diff driver, fsmonitor and hooks: git would run them; keyhound
    // must not.
    repo.git(&["config", "filter.evil.clean", &touch]);
    repo.git(&["config", "filter.evil.smudge", &touch]);
    repo.git(&["config", "filter.evil.process", &touch]);
    repo.git(&["config", "diff.evil.textconv", &touch]);
    repo.git(&["config", "core.fsmonitor", &touch]);
    for hook in [
        "pre-commit",
        "post-checkout",
        "reference-transaction",
        "fsmonitor-watchman",
    ] {
        let path = repo.path.join(".git/hooks").join(hook);
        std::fs::write(&path, format!("#!/bin/sh\n{touch}\n")).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    let before = snapshot(&repo.path);
    for sub in ["git", "staged", "scan"] {
        let out = keyhound()
            .args([sub, "-f", "json"])
            .arg(&repo.path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{sub}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(!marker.exists(), "keyhound ran repository content");
    assert!(
        snapshot(&repo.path) == before,
        "keyhound changed the repository"
    );
}

#[test]
fn a_secret_allowed_inline_in_one_commit_and_added_again_without_it_is_reported() {
    let repo = Repo::new();
    let key = aws_key_id();
    repo.write("app.env", &format!("KEY={key} # keyhound:allow\n"));
    repo.commit("allowed");
    repo.write("app.env", &format!("KEY={key}\n"));
    let second = repo.commit("the allow dropped");
    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        found(&report),
        [("app.env".into(), "aws-access-key-id".into())]
    );
    assert_eq!(report[0]["commit"], second);
    assert!(!stderr.contains("allowed inline"), "{stderr}");
}

#[test]
fn a_staged_file_too_large_to_scan_fails_the_hook_unless_allowed() {
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit("first");
    repo.write("dump.sql", &"x".repeat(4096));
    repo.git(&["add", "dump.sql"]);
    let out = keyhound()
        .args(["staged", "--max-file-size", "1K"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("dump.sql"))
        .unwrap_or_else(|| panic!("no line names the file: {stderr}"));
    assert!(line.contains("over --max-file-size"), "{line}");
    assert!(
        stderr.contains("1 too large") && !stderr.contains("unreadable"),
        "{stderr}"
    );
    let out = keyhound()
        .args(["staged", "--max-file-size", "1K", "--allow-too-large"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 too large"), "{stderr}");
}

#[test]
fn a_bad_output_path_fails_before_the_history_is_scanned() {
    let repo = Repo::new();
    repo.write("app.env", &format!("KEY={}\n", aws_key_id()));
    repo.commit("one");
    let out = keyhound()
        .args(["git", "-f", "json", "-o", "/no/such/dir/x.json"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/no/such/dir/x.json"), "{stderr}");
    // No summary: nothing was scanned.
    assert!(!stderr.contains("finding"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_key_file_in_history_is_found_by_its_path() {
    let repo = Repo::new();
    repo.write("Gemfile", "source 'https://rubygems.org'\n");
    repo.commit("initial");
    let key = random_from(b"0123456789abcdef", 32);
    repo.write("config/master.key", &format!("{key}\n"));
    let added = repo.commit("add the master key");
    repo.git(&["rm", "-q", "config/master.key"]);
    repo.commit("remove the master key");
    let (code, report, _) = repo.history(&[]);
    assert_eq!(code, 1, "{report:#}");
    let f = &findings(&report)[0];
    assert_eq!(findings(&report).len(), 1, "{report:#}");
    assert_eq!(f["rule_id"], "rails-master-key");
    assert_eq!(f["path"], "config/master.key");
    assert_eq!(f["secret"], key.as_str());
    assert_eq!(f["commit"], added.as_str());
}

/// A history whose blobs git stores as deltas, with secrets placed where a delta scan could
/// go wrong: in inserted lines, inside copied lines, at the first and last byte, halves of a
/// pair added in different versions, encoded, and a token completed by a later change.
fn evolving_repo() -> Repo {
    let repo = Repo::new();
    let mut lines: Vec<String> = (0..400)
        .map(|i| format!("fn step_{i}(x: u32) -> u32 {{ x * {i} + 7 }}\n"))
        .collect();
    let mut half = String::new();
    for v in 0..44usize {
        let at = (v * 37) % lines.len();
        match v % 11 {
            0 => lines.insert(at, format!("let token = \"{}\";\n", github_pat())),
            1 => {
                let l = lines[at].clone();
                lines[at] = format!(
                    "{}password = \"Zq8{}\" {}",
                    &l[..10],
                    random_from(
                        b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789",
                        14
                    ),
                    &l[10..]
                );
            }
            2 => lines.insert(at, format!("aws_access_key_id = {}\n", aws_key_id())),
            3 => {
                // The other half, two lines below the id the last version added.
                let id = lines
                    .iter()
                    .rposition(|l| l.starts_with("aws_access_key_id"))
                    .unwrap();
                let secret = random_from(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                    40,
                );
                lines.insert(id + 2, format!("aws_secret_access_key = {secret}\n"));
            }
            4 => lines.insert(0, format!("// {}\n", github_pat())),
            5 => {
                let last = lines.pop().unwrap();
                lines.push(last);
                lines.push(format!("const LAST: &str = \"{}\";", github_pat()));
            }
            6 => {
                use base64::Engine as _;
                let line = format!(
                    "DB_PASSWORD=Zq8{}\n",
                    random_from(
                        b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789",
                        14
                    )
                );
                let encoded = base64::engine::general_purpose::STANDARD.encode(line);
                lines.insert(at, format!("  config: {encoded}\n"));
            }
            7 => {
                // The start of a token now, its keyword cut in two; the rest comes next.
                half = github_pat();
                lines.insert(at, format!("let pending = \"{}", &half[..2]));
            }
            8 => {
                let i = lines
                    .iter()
                    .position(|l| l.starts_with("let pending"))
                    .unwrap();
                lines[i] = format!("let pending = \"{half}\";\n");
                lines.drain(at.min(lines.len() - 20)..at.min(lines.len() - 20) + 15);
            }
            9 => {
                // An encoded value grows, and no longer decodes to text.
                let i = lines
                    .iter()
                    .rposition(|l| l.starts_with("  config: "))
                    .unwrap();
                lines[i] = format!("{}////\n", lines[i].trim_end());
            }
            _ => {
                // And back: git stores one of the two as a delta against the other.
                let i = lines
                    .iter()
                    .rposition(|l| l.starts_with("  config: "))
                    .unwrap();
                lines[i] = format!("{}\n", lines[i].trim_end().trim_end_matches('/'));
                lines.truncate(lines.len() - 3);
            }
        }
        repo.write("src/lib.rs", &lines.concat());
        repo.commit(&format!("version {v}"));
    }
    repo.git(&["repack", "-adfq", "--depth=50", "--window=50"]);
    repo
}

#[test]
fn scanning_only_what_deltas_change_finds_what_scanning_every_blob_whole_finds() {
    let repo = evolving_repo();
    let (code, delta, stderr) = repo.history(&[]);
    let (whole_code, whole, whole_stderr) = repo.history(&["--no-delta"]);
    assert_eq!((code, whole_code), (1, 1), "{stderr}");
    assert_eq!(delta, whole);
    // The deltas were used, and most bytes were not read again.
    assert!(stderr.contains("deltas reused the rest"), "{stderr}");
    assert!(!whole_stderr.contains("deltas reused"), "{whole_stderr}");
    let read = |s: &str| -> (f64, f64) {
        let mb = |t: &str| t.trim_start_matches('(').parse::<f64>().unwrap();
        let words: Vec<&str> = s.split_whitespace().collect();
        let total = words.iter().position(|w| *w == "MB)").unwrap();
        let of = words.iter().position(|w| *w == "of").unwrap();
        (mb(words[of - 2]), mb(words[total - 1]))
    };
    let (read, total) = read(&stderr);
    assert!(read < total / 3.0, "{read} of {total} MB read");
    // Every kind of placement was found: each is reported in the version that added it.
    let rules: std::collections::BTreeSet<String> = findings(&delta)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    for rule in [
        "github-pat-classic",
        "aws-secret-access-key",
        "generic-password",
    ] {
        assert!(rules.contains(rule), "{rules:?}");
    }
    assert!(
        findings(&delta).iter().any(|f| f["paired"].is_array()),
        "no pair"
    );
    assert!(
        findings(&delta).iter().any(|f| f["decoded"].is_string()),
        "nothing decoded"
    );
}

#[test]
fn commit_and_tag_messages_notes_and_the_repository_config_are_scanned_and_attributed() {
    let repo = Repo::new();
    repo.write("a.txt", "hello\n");
    let in_message = github_pat();
    let first = repo.commit(&format!("deploy\n\nused GITHUB_TOKEN={in_message} to push"));
    repo.write("a.txt", "hello again\n");
    let second = repo.commit("second");
    let in_tag = github_pat();
    repo.git(&[
        "tag",
        "-a",
        "v1.0",
        "-m",
        &format!("release, token {in_tag}"),
        &first,
    ]);
    let in_note = github_pat();
    repo.git(&[
        "notes",
        "add",
        "-m",
        &format!("ci token {in_note}"),
        &second,
    ]);
    let in_url = format!(
        "Zq8{}",
        random_from(
            b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789",
            17
        )
    );
    repo.git(&[
        "remote",
        "add",
        "origin",
        &format!("https://deploy:{}@git.example.com/acme/app.git", in_url),
    ]);
    let in_header = github_pat();
    repo.git(&[
        "config",
        "http.extraHeader",
        &format!("Authorization: Bearer {in_header}"),
    ]);
    // A credential store that the config names.
    let store = repo.path.parent().unwrap().join("creds");
    let in_store = github_pat();
    std::fs::write(
        &store,
        format!("https://x-access-token:{}@github.com\n", in_store),
    )
    .unwrap();
    repo.git(&[
        "config",
        "credential.helper",
        &format!("store --file={}", store.display()),
    ]);

    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 1, "{stderr}");
    let at = |secret: &str| {
        findings(&report)
            .iter()
            .find(|f| f["secret"] == secret)
            .unwrap_or_else(|| panic!("{secret} not reported: {report:#}"))
            .clone()
    };
    let f = at(&in_message);
    assert_eq!(f["path"], format!("<commit {first} message>"));
    assert_eq!(f["commit"], first.as_str());
    assert_eq!(f["message"], "deploy");
    assert_eq!(f["line"], 3);
    let f = at(&in_tag);
    assert_eq!(f["path"], "<tag v1.0 message>");
    assert_eq!(f["commit"], first.as_str());
    let f = at(&in_note);
    assert_eq!(
        f["path"],
        format!("<note on {second} (refs/notes/commits)>")
    );
    assert_eq!(f["commit"], second.as_str());
    assert_eq!(at(&in_url)["path"], ".git/config");
    assert_eq!(at(&in_header)["path"], ".git/config");
    assert_eq!(at(&in_store)["path"], store.display().to_string());
    // Each once: the note is not also a file of the notes commit.
    for secret in [&in_message, &in_tag, &in_note] {
        let n = findings(&report)
            .iter()
            .filter(|f| f["secret"] == secret.as_str())
            .count();
        assert_eq!(n, 1, "{secret}: {report:#}");
    }
    assert!(
        stderr.contains("messages, notes and config files"),
        "{stderr}"
    );

    // A range scans the messages of its commits, not tags, notes or the configuration.
    let (code, report, _) = repo.history(&["--range", &format!("{first}..HEAD")]);
    assert_eq!(code, 0, "{report:#}");
    let in_pushed = github_pat();
    let third = repo.commit(&format!("fix\n\ntoken {in_pushed}"));
    let (code, report, _) = repo.history(&["--range", &format!("{second}..HEAD")]);
    assert_eq!(code, 1);
    assert_eq!(
        pairs(&report, "path", "secret"),
        vec![(format!("<commit {third} message>"), in_pushed)]
    );
}

/// A terminal shows who brought each secret in, and the summary the commits it spans.
#[test]
fn human_output_names_each_findings_commit_author_and_date() {
    let repo = Repo::new();
    repo.write("README", "hi\n");
    let first = repo.commit("start");
    let token = github_pat();
    repo.write("deploy.env", &format!("GITHUB_TOKEN={token}\n"));
    let second = repo.commit("add deploy settings\n\nmore words");
    let out = keyhound()
        .args(["git", "--color", "never"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Commit dates are 1_700_000_000 + tick * 60 s in +0100: 2023-11-14.
    let line = format!(
        "      commit {} by Ada Lovelace <ada@example.com> on 2023-11-14: add deploy settings",
        &second[..7]
    );
    assert!(stdout.contains(&line), "{stdout}");
    assert!(!stdout.contains(&token), "{stdout}");
    let span = format!(
        "from 2 commits ({} 2023-11-14 to {} 2023-11-14)",
        &first[..7],
        &second[..7]
    );
    assert!(stderr.contains(&span), "{stderr}");
}

/// A blocked commit says how to allow a false alarm, and the fingerprint it would take.
#[test]
fn a_blocked_commit_says_how_to_allow_it() {
    let repo = Repo::new();
    repo.write("README", "hi\n");
    repo.commit("start");
    repo.write("deploy.env", &format!("GITHUB_TOKEN={}\n", github_pat()));
    repo.git(&["add", "deploy.env"]);
    let (code, report, stderr) = repo.staged();
    assert_eq!(code, 1);
    let fingerprint = report[0]["fingerprint"].as_str().unwrap();
    for want in [
        "commit blocked: 1 secret",
        "keyhound:allow",
        ".keyhoundignore",
        &format!("{fingerprint}  # github-pat-classic at deploy.env:1"),
        "git commit --no-verify",
    ] {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
    // Once it is in .keyhoundignore, the commit goes through, with no advice.
    repo.write(".keyhoundignore", &format!("{fingerprint}\n"));
    let (code, _, stderr) = repo.staged();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("blocked"), "{stderr}");
}

/// A checkout that another user owns (mounted into a container, a CI workspace) is scanned:
/// keyhound only reads, so git's `safe.directory` guard does not apply. Needs root to hand
/// the repository to another user (CI runs as root).
#[test]
fn a_repository_owned_by_another_user_is_scanned() {
    let uid = Process::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("not root: cannot give the repository to another user");
        return;
    }
    let repo = Repo::new();
    repo.write("deploy.env", &format!("GITHUB_TOKEN={}\n", github_pat()));
    repo.commit("add");
    let owned = Process::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&repo.path)
        .status()
        .unwrap();
    assert!(owned.success());
    let (code, report, stderr) = repo.history(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report.as_array().unwrap().len(), 1);
}
