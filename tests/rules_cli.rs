//! `keyhound rules list` and `keyhound rules check FILE`.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn rules_list_prints_every_rule() {
    let out = keyhound()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for id in [
        "aws-access-key-id",
        "github-pat-classic",
        "private-key-openssh",
        "generic-api-key",
    ] {
        assert!(text.contains(id), "{id} missing");
    }
    let json_out = keyhound()
        .args(["rules", "list", "-f", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let rules = json(&json_out);
    let n = rules.as_array().unwrap().len();
    assert!(n >= 40, "{n} rules");
    assert!(text.contains(&format!("{n} rules")));
    for r in rules.as_array().unwrap() {
        assert!(r["regex"].is_string() && r["keywords"].is_array() && r["examples"].is_array());
    }
}

#[test]
fn rules_check_reports_each_failing_example_with_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "mine.toml",
        r#"
[[rules]]
id = "acme-token"
name = "ACME token"
description = "Token for the ACME API."
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
confidence = "high"
examples = ["ACME=acme_q8zr2lw0px4vn7bt1mk9", "ACME=acme_short"]
negative_examples = ["ACME=acme_q8zr2lw0px4vn7bt1mk0"]
"#,
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("mine.toml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "acme-token: example does not match: \"ACME=acme_short\"",
        ))
        .stdout(predicate::str::contains(
            "acme-token: negative example matches: \"ACME=acme_q8zr2lw0px4vn7bt1mk0\"",
        ))
        .stdout(predicate::str::contains("1 rules, 2 failing examples"));

    write(
        dir.path(),
        "good.toml",
        r#"
[[rules]]
id = "acme-token"
name = "ACME token"
description = "Token for the ACME API."
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
confidence = "high"
examples = ["ACME=acme_q8zr2lw0px4vn7bt1mk9"]
negative_examples = ["ACME=acme_tooshort"]
"#,
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("good.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 rules, 0 failing examples"));
}

#[test]
fn rules_check_rejects_a_broken_file_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.toml",
        "[[rules]]\nid = \"x\"\nregex = \"(\"\n",
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("bad.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"));
    write(
        dir.path(),
        "badre.toml",
        "[[rules]]\nid = \"bad-re\"\nname = \"n\"\ndescription = \"d\"\nkeywords = [\"ab\"]\nregex = \"a(b\"\nconfidence = \"low\"\n",
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("badre.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rule 'bad-re': invalid regex"));
}
