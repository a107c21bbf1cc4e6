//! `keyhound explain`: for each candidate on a line, the stage that kept or dropped it.

mod common;

use common::*;

fn explain(dir: &std::path::Path, target: &str, extra: &[&str]) -> String {
    let out = keyhound()
        .current_dir(dir)
        .args(["explain", target, "--no-config"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn explain_names_the_stage_for_every_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let key = aws_key_id();
    let pat = github_pat();
    write(
        dir.path(),
        "app.env",
        format!(
            "AWS_ACCESS_KEY_ID={key}\nSTRIPE_KEY=sk_live_your_key_here_please\napi_token = \"getDiagnosticManifest\"\nGH={pat} # keyhound:allow\nnothing to see\n"
        ),
    );
    let all = explain(dir.path(), "app.env", &[]);
    // Reported, with the rule and the confidence.
    assert!(
        all.contains("aws-access-key-id (keyword \"akia\")"),
        "{all}"
    );
    assert!(all.contains("reported (high confidence)"), "{all}");
    // A keyword without a match, a value dropped as an identifier, an inline allow.
    assert!(
        all.contains("stripe-secret-key: keyword \"sk_live_\""),
        "{all}"
    );
    assert!(all.contains("its regex does not match here"), "{all}");
    assert!(all.contains("a name in code (an identifier)"), "{all}");
    assert!(
        all.contains("suppressed: an allow marker on its line"),
        "{all}"
    );
    // Secrets are masked, as in human output.
    assert!(!all.contains(&key[4..]), "{all}");
    assert!(!all.contains(&pat[4..]), "{all}");

    let one = explain(dir.path(), "app.env:5", &[]);
    assert!(one.contains("no rule's keyword occurs here"), "{one}");
    let first = explain(dir.path(), "app.env:1", &["--min-confidence", "high"]);
    assert!(first.lines().all(|l| !l.contains("sk_live_")), "{first}");
}

#[test]
fn explain_names_the_baseline_and_the_allowlist() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.env", format!("K={}\n", aws_key_id()));
    write(
        dir.path(),
        "allow.toml",
        "[[allowlists]]\npaths = [\"a.env\"]\n",
    );
    let out = keyhound()
        .current_dir(dir.path())
        .args(["explain", "a.env:1", "--config", "allow.toml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("suppressed: an allowlist of the config"),
        "{text}"
    );
}

#[test]
fn explain_names_the_path_that_ran_a_path_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config/master.key",
        random_from(b"0123456789abcdef", 32),
    );
    write(dir.path(), "config/master.key.bak", "too short\n");
    let out = explain(dir.path(), "config/master.key", &[]);
    assert!(
        out.contains("rails-master-key (path \"config/master.key\")") && out.contains("reported"),
        "{out}"
    );
    let out = explain(dir.path(), "config/master.key.bak", &[]);
    assert!(out.contains("no rule's keyword occurs here"), "{out}");
}
