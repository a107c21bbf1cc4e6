//! `.keyhound.toml` through the real binary: allowlists of each kind, per-rule allowlists,
//! custom and disabled rules, options, `config check`, and errors with positions.

mod common;

use base64::Engine;

use common::*;
use predicates::prelude::*;

fn run_json(dir: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), json(&out.stdout), stderr)
}

#[test]
fn allowlists_of_each_kind_global_and_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (by_path, by_secret, by_line, by_stop) =
        (github_pat(), github_pat(), github_pat(), stripe_key());
    let kept = aws_key_id();
    let other_rule = stripe_key();
    write(d, "fixtures/keys.txt", format!("T={by_path}\n"));
    write(d, "a.py", format!("T = '{by_secret}'\n"));
    write(
        d,
        "b.py",
        format!("T = '{by_line}'  # rotated 2024-01-01\n"),
    );
    write(d, "c.rb", format!("K = '{by_stop}'\n"));
    write(d, "d.env", format!("AWS={kept}\nSTRIPE={other_rule}\n"));
    let secret_re = regex_escape(&by_secret);
    let stop = by_stop[8..16].to_string();
    write(
        d,
        ".keyhound.toml",
        format!(
            r#"
[[allowlists]]
description = "test fixtures"
paths = ["fixtures/**"]
secrets = ['^{secret_re}$']
lines = ['rotated \d{{4}}-\d{{2}}-\d{{2}}']

[[allowlists]]
rules = ["stripe-secret-key"]
stopwords = ["{stop}"]

[[allowlists]]
rules = ["aws-access-key-id"]
paths = ["*.py"]
"#
        ),
    );
    let (code, report, stderr) = run_json(d, &[]);
    assert_eq!(code, 1, "{stderr}");
    let got = pairs(&report, "path", "rule_id");
    assert_eq!(
        got,
        vec![
            ("d.env".to_string(), "aws-access-key-id".to_string()),
            ("d.env".to_string(), "stripe-secret-key".to_string()),
        ]
    );
    assert!(stderr.contains("4 by allowlist"), "{stderr}");
    // --no-config brings them all back.
    let (_, report, _) = run_json(d, &["--no-config"]);
    assert_eq!(report.as_array().unwrap().len(), 6);
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn custom_rule_disabled_rule_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        ".keyhound.toml",
        r#"
[extend]
disable = ["aws-access-key-id"]

[options]
exit_code = 3
min_confidence = "medium"
redact = 2
decode_depth = 0

[[rules]]
id = "acme-token"
name = "ACME token"
description = "Token for the ACME API."
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
confidence = "high"
examples = ["acme_q8zr2lw0px4vn7bt1mk9"]
"#,
    );
    write(
        d,
        "x.txt",
        format!(
            "A={}\nB=acme_q8zr2lw0px4vn7bt1mk9\nC='{}'\nD: {}\n",
            aws_key_id(),
            stripe_test_key(),
            base64::engine::general_purpose::STANDARD.encode(github_pat())
        ),
    );
    let (code, report, stderr) = run_json(d, &[]);
    assert_eq!(code, 3, "{stderr}");
    // AWS disabled, the low-confidence Stripe test key below the minimum, the base64 GitHub
    // token not decoded (decode_depth = 0), the custom rule found.
    assert_eq!(
        found(&report),
        vec![("x.txt".to_string(), "acme-token".to_string())]
    );
    assert_eq!(report[0]["secret"], "acREDACTED");
    assert!(
        stderr.contains("1 below the minimum confidence"),
        "{stderr}"
    );
    // Flags win over the config.
    let (code, report, _) = run_json(
        d,
        &[
            "--exit-code",
            "5",
            "--min-confidence",
            "low",
            "--decode-depth",
            "1",
        ],
    );
    assert_eq!(code, 5);
    let mut rules: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        ["acme-token", "github-pat-classic", "stripe-test-secret-key"]
    );

    keyhound()
        .args(["config", "check"])
        .arg(d.join(".keyhound.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "1 custom, 1 disabled: aws-access-key-id",
        ))
        .stdout(predicate::str::contains(
            "min_confidence = medium, redact = 2, exit_code = 3, decode_depth = 0",
        ));
}

#[test]
fn invalid_configs_name_file_line_column_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = d.join(".keyhound.toml");
    for (text, expected) in [
        ("[options]\nexit_code = \"x\"\n", ".keyhound.toml:2:13: `options.exit_code`"),
        ("[options]\ncolour = 1\n", ".keyhound.toml:2:1: `options.colour`: unknown field"),
        ("[extend]\ndisable = [\"nope\"]\n", "`extend.disable`: no rule 'nope'"),
        (
            "[[rules]]\nid = \"bad-re\"\nname = \"n\"\ndescription = \"d\"\nkeywords = [\"ab\"]\nregex = \"a(b\"\nconfidence = \"low\"\n",
            "rule 'bad-re': invalid regex",
        ),
        ("[[allowlists]]\nsecrets = [\"(\"]\n", "allowlist 1: secrets[0]: invalid regex"),
    ] {
        std::fs::write(&cfg, text).unwrap();
        keyhound()
            .args(["config", "check"])
            .arg(&cfg)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
        // The same file found at the root of a scan stops the scan with the same message.
        keyhound()
            .arg("scan")
            .arg(d)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
    }
    keyhound()
        .args(["scan", "--config", "/nonexistent/keyhound.toml"])
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/keyhound.toml"));
}

#[test]
fn commit_allowlist_in_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "old.env", format!("K={}\n", aws_key_id()));
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "known"]);
    let known = git(d, &["rev-parse", "HEAD"]);
    write(
        d,
        ".keyhound.toml",
        format!("[[allowlists]]\ncommits = [\"{}\"]\n", &known[..10]),
    );
    keyhound()
        .arg("git")
        .arg(d)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 by allowlist"));
    write(d, "new.env", format!("K={}\n", aws_key_id()));
    git(d, &["add", "new.env"]);
    git(d, &["commit", "-q", "-m", "new"]);
    let report = findings_of(&["git", "-f", "json"], d);
    assert_eq!(
        found(&report),
        vec![("new.env".to_string(), "aws-access-key-id".to_string())]
    );
}

#[test]
fn the_readme_example_config_is_valid() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("### Config file").expect("config section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "keyhound.toml", example);
    keyhound()
        .args(["config", "check"])
        .arg(dir.path().join("keyhound.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "1 custom, 1 disabled: generic-password",
        ))
        .stdout(predicate::str::contains(
            "allowlist 2: stripe-test-secret-key",
        ));
}
