//! Coming from gitleaks: its config's allowlists and its ignore file are read when there is
//! no `.keyhound.toml`, `config import-gitleaks` writes the same as a keyhound config, its
//! reports are accepted as a baseline and written as `-f gitleaks-json`, and its `--redact`
//! spelling hides the whole secret.

mod common;

use std::path::Path;

use common::*;

/// Mixed case, with digits between letters: never taken for an identifier.
fn password() -> String {
    format!(
        "Zq8w{}x4k",
        random_from(
            b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789",
            10
        )
    )
}

/// Runs keyhound; (exit code, stdout, stderr).
fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = keyhound().args(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn secrets(stdout: &str) -> Vec<String> {
    let mut v: Vec<String> = json(stdout.as_bytes())
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn a_gitleaks_config_and_ignore_file_are_read_when_there_is_no_keyhound_config() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = |v: &str| format!("DB_PASSWORD=\"{v}\"\n");
    let (kept, in_vendor, in_test, stopped, pat, both, half, ignored) = (
        password(),
        password(),
        password(),
        format!(
            "Zq8{}example",
            random_from(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 10)
        ),
        github_pat(),
        password(),
        password(),
        password(),
    );
    write(d, "app/.env", line(&kept));
    write(d, "vendor/lib/.env", line(&in_vendor));
    write(d, "app/db_test.go", line(&in_test));
    write(d, "app/stop.env", line(&stopped));
    write(d, "fixtures/token.txt", format!("token = {pat}\n"));
    // AND: only a path that matches and a line that matches together allow it.
    write(
        d,
        "legacy/a.env",
        format!("# legacy\nDB_PASSWORD=\"{both}\" # legacy\n"),
    );
    write(d, "legacy/b.env", line(&half));
    write(d, "old/c.env", format!("\n\n{}", line(&ignored)));
    write(
        d,
        ".gitleaks.toml",
        r#"title = "team config"
[extend]
useDefault = true

[allowlist]
description = "vendored and tests"
paths = ['''(^|/)vendor/''', '''.*_test\.go$''']
stopwords = ["example"]

[[allowlists]]
condition = "AND"
paths = ['''^legacy/''']
regexTarget = "line"
regexes = ['''# legacy$''']

[[rules]]
id = "github-pat"
description = "ours is different"
regex = '''ghp_[0-9a-zA-Z]{36}'''
[rules.allowlist]
paths = ['''^fixtures/''']

[[rules]]
id = "internal-thing"
regex = '''thing_[a-z]{10}'''
"#,
    );
    write(
        d,
        ".gitleaksignore",
        "old/c.env:generic-api-key:3\n# a comment\n",
    );
    let (code, stdout, stderr) = run(&["scan", "-f", "json", "."], d);
    assert_eq!(code, 1, "{stderr}");
    let mut want = vec![kept.clone(), half.clone()];
    want.sort();
    assert_eq!(secrets(&stdout), want, "{stderr}");
    assert_eq!(
        stderr.matches("gitleaks' config").count(),
        1,
        "said once: {stderr}"
    );
    assert!(stderr.contains(".gitleaksignore"), "{stderr}");

    // The import writes a config that, as .keyhound.toml, sets aside the same findings.
    let (code, toml, stderr) = run(&["config", "import-gitleaks"], d);
    assert_eq!(code, 0, "{stderr}");
    assert!(toml.contains("path_regexes"), "{toml}");
    assert!(
        stderr.contains("internal-thing") && stderr.contains("not imported"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["config", "import-gitleaks", "-o", ".keyhound.toml"], d);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&["config", "import-gitleaks", "-o", ".keyhound.toml"], d);
    assert_eq!(code, 2, "an existing file is kept: {stderr}");
    let (code, stdout, stderr) = run(&["scan", "-f", "json", "."], d);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(secrets(&stdout), want, "{stderr}");
    assert!(!stderr.contains("gitleaks' config"), "{stderr}");
    // A broken gitleaks config is one line naming the file.
    std::fs::remove_file(d.join(".keyhound.toml")).unwrap();
    write(d, ".gitleaks.toml", "[allowlist\npaths = 1\n");
    let (code, _, stderr) = run(&["scan", "."], d);
    assert_eq!(code, 2);
    assert!(stderr.contains(".gitleaks.toml"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn gitleaks_reports_are_written_and_taken_as_a_baseline_and_its_ignore_file_names_commits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let (first, second) = (password(), password());
    write(d, "a.env", format!("DB_PASSWORD=\"{first}\"\n"));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "one"]);
    let commit = git(d, &["rev-parse", "HEAD"]);
    write(d, "b.env", format!("x\nDB_PASSWORD=\"{second}\"\n"));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "two"]);
    git(
        d,
        &["remote", "add", "origin", "https://github.com/acme/app.git"],
    );

    let (code, report, stderr) = run(&["git", "-f", "gitleaks-json", "."], d);
    assert_eq!(code, 1, "{stderr}");
    let leaks = json(report.as_bytes());
    let leaks = leaks.as_array().unwrap();
    assert_eq!(leaks.len(), 2, "{report}");
    let a = leaks.iter().find(|l| l["File"] == "a.env").unwrap();
    assert_eq!(a["Secret"], first.as_str());
    assert_eq!(a["Commit"], commit.as_str());
    assert_eq!(a["StartLine"], 1);
    assert_eq!(a["Author"], "A");
    assert_eq!(a["Message"], "one");
    let rule = a["RuleID"].as_str().unwrap();
    assert_eq!(a["Fingerprint"], format!("{commit}:a.env:{rule}:1"));
    assert_eq!(
        a["Link"],
        format!("https://github.com/acme/app/blob/{commit}/a.env#L1")
    );
    for key in ["Description", "Match", "Entropy", "Date", "Email", "Tags"] {
        assert!(!a[key].is_null(), "{key}: {a}");
    }
    // Redacted, it holds no secret.
    let (_, redacted, _) = run(&["git", "-f", "gitleaks-json", "--redact", "."], d);
    assert!(!redacted.contains(&first) && !redacted.contains(&second));

    // Its report as a baseline: nothing new.
    write(d, "../gitleaks-report.json", &report);
    let baseline = d.join("../gitleaks-report.json");
    let (code, stdout, stderr) = run(
        &[
            "git",
            "-f",
            "json",
            "--baseline",
            baseline.to_str().unwrap(),
            ".",
        ],
        d,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("2 in the baseline"), "{stderr}");
    // A file that is neither is one clear line.
    write(d, "../bad.json", "{\"version\": \"x\"}");
    let bad = d.join("../bad.json");
    let (code, _, stderr) = run(&["git", "--baseline", bad.to_str().unwrap(), "."], d);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bad.json") && stderr.contains("gitleaks report"),
        "{stderr}"
    );

    // `.gitleaksignore` with a commit names that commit's finding only.
    write(d, ".gitleaksignore", format!("{commit}:a.env:{rule}:1\n"));
    let (code, stdout, stderr) = run(&["git", "-f", "json", "."], d);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(secrets(&stdout), vec![second.clone()]);
}

#[test]
fn redact_hides_the_whole_secret_and_rules_can_be_picked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (pass, pat) = (password(), github_pat());
    write(d, "a.env", format!("DB_PASSWORD=\"{pass}\"\nTOKEN={pat}\n"));
    for (flag, kept) in [("--redact", 0), ("--redact=100", 0), ("--redact=2", 2)] {
        for format in ["json", "human", "sarif", "html", "gitleaks-json"] {
            let (code, out, stderr) = run(&["scan", "--no-config", "-f", format, flag, "."], d);
            assert_eq!(code, 1, "{stderr}");
            for secret in [&pass, &pat] {
                // Nothing past the kept characters, not even 8 of them in a row.
                for start in kept..secret.len() - 8 {
                    assert!(
                        !out.contains(&secret[start..start + 8]),
                        "{flag} -f {format} shows part of {secret}: {out}"
                    );
                }
            }
            if format == "json" {
                let mut shown = secrets(&out);
                shown.sort();
                let mut want = vec![
                    format!("{}REDACTED", &pass[..kept]),
                    format!("{}REDACTED", &pat[..kept]),
                ];
                want.sort();
                assert_eq!(shown, want, "{flag}");
            }
        }
    }
    let rules = |args: &[&str]| -> Vec<String> {
        let (_, out, stderr) = run(
            &[&["scan", "--no-config", "-f", "json"], args, &["."]].concat(),
            d,
        );
        let mut ids: Vec<String> = json(out.as_bytes())
            .as_array()
            .unwrap_or_else(|| panic!("{stderr}"))
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(rules(&[]), vec!["generic-password", "github-pat-classic"]);
    assert_eq!(
        rules(&["--enable-rule", "github-pat-classic"]),
        vec!["github-pat-classic"]
    );
    // Turned off, the token is left to the generic rules.
    let without = rules(&["--disable-rule", "github-pat-classic"]);
    assert!(
        !without.contains(&"github-pat-classic".to_string())
            && without.contains(&"generic-password".to_string()),
        "{without:?}"
    );
    let (code, _, stderr) = run(&["scan", "--enable-rule", "github-pat", "."], d);
    assert_eq!(code, 2);
    assert!(stderr.contains("github-pat: no such rule"), "{stderr}");
}
