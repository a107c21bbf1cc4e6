//! Beyond one run: `--shard K/N` parts that together find what one run finds, `keyhound
//! merge` of their reports, and several repositories in one run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

fn run(args: &[&str], dir: &Path) -> Output {
    keyhound().args(args).current_dir(dir).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What identifies a finding, whichever run reported it.
fn keys(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}:{} {} {}",
                f["repository"].as_str().unwrap_or("-"),
                f["rule_id"],
                f["path"],
                f["line"],
                f["commit"].as_str().unwrap_or("-"),
                f["secret"]
            )
        })
        .collect();
    v.sort();
    v
}

/// A history of 40 commits: secrets in files (some kept through later versions of the file,
/// some moved), in commit messages and in a tag message.
fn history(dir: &Path) -> PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let kept = github_pat();
    for i in 0..40 {
        write(
            &repo,
            &format!("svc{}/app{i}.env", i % 5),
            format!("TOKEN={}\n", github_pat()),
        );
        // The same secret through many versions of one file: one finding, at its first commit.
        write(&repo, "deploy.env", format!("KEY={kept}\n# rev {i}\n"));
        let message = if i % 9 == 0 {
            format!("rev {i}\n\nused {} to test", github_pat())
        } else {
            format!("rev {i}")
        };
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", &message]);
    }
    git(
        &repo,
        &[
            "tag",
            "-a",
            "v1",
            "-m",
            &format!("release with {}", github_pat()),
        ],
    );
    repo
}

#[test]
fn shards_together_find_what_one_run_finds_and_merge_makes_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let repo = history(dir.path());
    let d = dir.path();
    let full = run(&["git", "-f", "json", "repo"], d);
    assert_eq!(full.status.code(), Some(1), "{}", stderr(&full));
    let full = json(&full.stdout);
    let whole = keys(&full);
    assert!(whole.len() > 40, "{}", whole.len());
    let mut parts = Vec::new();
    for k in 1..=3 {
        let name = format!("shard{k}.json");
        let out = run(
            &[
                "git",
                "--shard",
                &format!("{k}/3"),
                "-f",
                "json",
                "-o",
                &name,
                "repo",
            ],
            d,
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        parts.push(keys(&json(&std::fs::read(d.join(&name)).unwrap())));
    }
    // Each part has some, and none has them all.
    for p in &parts {
        assert!(!p.is_empty() && p.len() < whole.len(), "{}", p.len());
    }
    // Merged: exactly one run's findings, each once.
    let merged = run(
        &[
            "merge",
            "shard1.json",
            "shard2.json",
            "shard3.json",
            "-f",
            "json",
        ],
        d,
    );
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    assert_eq!(keys(&json(&merged.stdout)), whole);
    assert!(
        stderr(&merged).contains(&format!("{} findings", whole.len())),
        "{}",
        stderr(&merged)
    );
    // As SARIF, with as many results.
    let sarif = run(
        &[
            "merge",
            "shard1.json",
            "shard2.json",
            "shard3.json",
            "-f",
            "sarif",
        ],
        d,
    );
    let sarif = json(&sarif.stdout);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        whole.len()
    );
    // JSON Lines reports merge too, and a report merged with itself adds nothing.
    let lines = run(
        &[
            "git", "--shard", "2/3", "-f", "jsonl", "-o", "s2.jsonl", "repo",
        ],
        d,
    );
    assert!(matches!(lines.status.code(), Some(0 | 1)));
    let again = run(
        &[
            "merge",
            "shard1.json",
            "s2.jsonl",
            "shard2.json",
            "shard3.json",
            "-f",
            "json",
        ],
        d,
    );
    assert_eq!(keys(&json(&again.stdout)), whole);

    // `auto/N` is a Kubernetes Indexed Job's index, plus one.
    let auto = keyhound()
        .args(["git", "--shard", "auto/3", "-f", "json", "repo"])
        .env("JOB_COMPLETION_INDEX", "1")
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(keys(&json(&auto.stdout)), parts[1]);
    for bad in ["0/3", "4/3", "x/3", "2", "auto/3"] {
        let out = keyhound()
            .args(["git", "--shard", bad, "repo"])
            .env_remove("JOB_COMPLETION_INDEX")
            .current_dir(d)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("--shard"), "{bad}: {}", stderr(&out));
    }
    let _ = repo;
}

#[test]
fn merge_warns_about_other_rule_sets_and_names_a_bad_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "t/a.env", format!("TOKEN={}\n", github_pat()));
    let out = run(&["scan", "-f", "json", "-o", "a.json", "t"], d);
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(d.join("a.json")).unwrap();
    assert!(text.contains("\"ruleset\": \"keyhound "), "{text}");
    std::fs::write(
        d.join("b.json"),
        text.replace(
            "\"ruleset\": \"keyhound ",
            "\"ruleset\": \"keyhound 0.0.1-old ",
        ),
    )
    .unwrap();
    let out = run(&["merge", "a.json", "b.json", "-f", "json"], d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("different keyhound versions or rule sets"),
        "{}",
        stderr(&out)
    );
    // The same finding from both: once.
    assert_eq!(json(&out.stdout).as_array().unwrap().len(), 1);
    std::fs::write(d.join("bad.json"), "[{\"rule_id\": 3}]").unwrap();
    let out = run(&["merge", "a.json", "bad.json"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));
}

#[test]
fn several_repositories_in_one_run_each_finding_naming_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut secrets = Vec::new();
    for name in ["one", "two"] {
        let repo = d.join(name);
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        let token = github_pat();
        // The same path in both: two findings, one per repository.
        write(&repo, "app.env", format!("TOKEN={token}\n"));
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "add"]);
        secrets.push(token);
    }
    std::fs::create_dir(d.join("not-a-repo")).unwrap();
    std::fs::write(d.join("list"), "# nightly\ntwo\n\nnot-a-repo\n").unwrap();
    let out = run(&["git", "-f", "json", "one", "--repos", "list"], d);
    // The broken one is reported and fails the run once the others are scanned.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("not-a-repo") && err.contains("not a git repository"),
        "{err}"
    );
    assert!(err.contains("repository 3/3"), "{err}");
    let report = json(&out.stdout);
    let found: Vec<(String, String)> = pairs(&report, "repository", "secret");
    assert_eq!(
        found,
        vec![
            ("one".to_string(), secrets[0].clone()),
            ("two".to_string(), secrets[1].clone())
        ]
    );
    let out = run(&["git", "-f", "json", "one", "two"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 findings"), "{}", stderr(&out));
}

/// `clean in the cache` count from a summary line.
fn cached(stderr: &str) -> u64 {
    stderr
        .split("; ")
        .find_map(|part| part.trim().strip_suffix(" clean in the cache"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_cached_rescan_skips_clean_content_finds_the_same_and_the_new_and_stores_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = history(d);
    for i in 0..30 {
        write(&repo, &format!("docs/page{i}.md"), format!("# page {i}\n"));
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "docs"]);
    let scan = |extra: &[&str]| {
        let out = run(
            &[&["git", "-f", "json", "--cache", "cache"], extra, &["repo"]].concat(),
            d,
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        (keys(&json(&out.stdout)), json(&out.stdout), stderr(&out))
    };
    let (first, report, err) = scan(&[]);
    assert_eq!(cached(&err), 0, "{err}");
    let (second, _, err) = scan(&[]);
    assert_eq!(second, first);
    // The 30 clean pages and the 36 messages without a secret: not read again.
    assert_eq!(cached(&err), 66, "{err}");
    // No secret in the cache, in any file of it.
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(d.join("cache")).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let stored = String::from_utf8_lossy(&stored);
    for f in report.as_array().unwrap() {
        assert!(
            !stored.contains(f["secret"].as_str().unwrap()),
            "a secret in the cache"
        );
    }
    // A secret committed after the cached run is found, with the old ones.
    let fresh = github_pat();
    write(&repo, "late.env", format!("TOKEN={fresh}\n"));
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "late"]);
    let (third, report, _) = scan(&[]);
    assert_eq!(third.len(), first.len() + 1);
    assert!(report
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["secret"] == fresh.as_str()));
    // Another rule set: another cache file, nothing taken from this one.
    let (_, _, err) = scan(&["--disable-rule", "generic-password"]);
    assert_eq!(cached(&err), 0, "{err}");
    // A damaged cache: one line naming it, the same findings, and it is rebuilt.
    for entry in std::fs::read_dir(d.join("cache")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    }
    let (again, _, err) = scan(&[]);
    assert_eq!(again, third);
    assert_eq!(err.matches("discarded, it is rebuilt").count(), 1, "{err}");
    assert!(err.contains(".cache: corrupt or truncated"), "{err}");
    let (_, _, err) = scan(&[]);
    assert!(cached(&err) >= 66 && !err.contains("discarded"), "{err}");
}

#[test]
fn a_tree_scan_caches_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..20 {
        write(d, &format!("t/clean{i}.txt"), format!("nothing here {i}\n"));
    }
    let token = github_pat();
    write(d, "t/app.env", format!("TOKEN={token}\n"));
    let scan = || {
        let out = run(&["scan", "-f", "json", "--cache", "c", "t"], d);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        (keys(&json(&out.stdout)), stderr(&out))
    };
    let (first, err) = scan();
    assert_eq!(cached(&err), 0);
    let (second, err) = scan();
    assert_eq!(second, first);
    assert_eq!(cached(&err), 20, "{err}");
    // A changed file is matched again.
    write(d, "t/clean3.txt", format!("TOKEN={}\n", github_pat()));
    let (third, err) = scan();
    assert_eq!(third.len(), 2);
    assert_eq!(cached(&err), 19, "{err}");
}

#[test]
fn concurrent_runs_share_one_cache_without_breaking_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = history(d);
    let full = run(&["git", "-f", "json", "repo"], d);
    let want = keys(&json(&full.stdout));
    // Three parts at once, as shards on one machine would run, all writing the cache.
    for _ in 0..2 {
        let children: Vec<_> = (1..=3)
            .map(|k| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("keyhound"))
                    .args(["git", "-f", "json", "--cache", "shared", "--shard"])
                    .arg(format!("{k}/3"))
                    .arg(&repo)
                    .current_dir(d)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut merged = Vec::new();
        for (k, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().unwrap();
            assert!(!stderr(&out).contains("discarded"), "{}", stderr(&out));
            let name = format!("p{k}.json");
            std::fs::write(d.join(&name), &out.stdout).unwrap();
            merged.push(name);
        }
        let args: Vec<&str> = ["merge", "-f", "json"]
            .into_iter()
            .chain(merged.iter().map(String::as_str))
            .collect();
        let out = run(&args, d);
        assert_eq!(keys(&json(&out.stdout)), want);
    }
    // Whatever the last writer kept, the file is whole.
    let out = run(&["git", "-f", "json", "--cache", "shared", "repo"], d);
    assert!(!stderr(&out).contains("discarded"), "{}", stderr(&out));
    assert_eq!(keys(&json(&out.stdout)), want);
}
