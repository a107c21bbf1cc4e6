//! Every output format, through the real binary: JSON and JSONL parse, SARIF validates against
//! the official 2.1.0 schema, human output reads well, and redaction hides secrets everywhere.

mod common;

use std::path::PathBuf;

use common::*;
use predicates::prelude::*;

fn leaky_tree() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = vec![github_pat(), aws_key_id(), stripe_key()];
    write(
        dir.path(),
        "src/settings.py",
        format!("GITHUB_TOKEN = \"{}\"\n", secrets[0]),
    );
    write(
        dir.path(),
        "infra/main tf/vars.tf",
        format!("access_key = \"{}\"\n", secrets[1]),
    );
    write(
        dir.path(),
        "billing.env",
        format!("\nSTRIPE_KEY={}\n", secrets[2]),
    );
    (dir, secrets)
}

fn run(dir: &tempfile::TempDir, args: &[&str]) -> (Vec<u8>, String) {
    let out = keyhound()
        .arg("scan")
        .args(args)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_and_jsonl_carry_the_same_findings() {
    let (dir, secrets) = leaky_tree();
    let (out, _) = run(&dir, &["-f", "json"]);
    let array = json(&out);
    assert_eq!(array.as_array().unwrap().len(), 3);
    let (out, _) = run(&dir, &["-f", "jsonl"]);
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(serde_json::Value::Array(lines), array);
    for f in array.as_array().unwrap() {
        for key in [
            "rule_id",
            "rule_name",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "secret",
            "line_content",
            "entropy",
            "confidence",
            "fingerprint",
        ] {
            assert!(f.get(key).is_some(), "missing {key} in {f}");
        }
        assert!(secrets.contains(&f["secret"].as_str().unwrap().to_string()));
    }
}

/// The SARIF 2.1.0 schema as shipped in the serde-sarif crate's package from crates.io: the
/// version in Cargo.lock, unpacked where cargo keeps its registry sources.
fn sarif_schema() -> serde_json::Value {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"serde-sarif\""))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .expect("serde-sarif in Cargo.lock");
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let schema = std::fs::read_dir(cargo_home.join("registry").join("src"))
        .expect("cargo registry sources")
        .filter_map(Result::ok)
        .map(|index| {
            index
                .path()
                .join(format!("serde-sarif-{version}/src/schema.json"))
        })
        .find(|p| p.exists())
        .expect("schema.json ships in serde-sarif");
    let text = std::fs::read_to_string(&schema).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The published schema has a stray `]` in the `language` patterns, which the validator's
    // meta-schema check rejects as a regex. keyhound never writes `language`; fix the typo.
    let fixed = fix_language_patterns(&mut value);
    assert!(fixed >= 1);
    assert_eq!(
        value["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    value
}

fn fix_language_patterns(v: &mut serde_json::Value) -> usize {
    const TYPO: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match v {
        serde_json::Value::String(s) if s == TYPO => {
            *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
            1
        }
        serde_json::Value::Array(items) => items.iter_mut().map(fix_language_patterns).sum(),
        serde_json::Value::Object(map) => map.values_mut().map(fix_language_patterns).sum(),
        _ => 0,
    }
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_github_ready() {
    let (dir, secrets) = leaky_tree();
    let (out, _) = run(&dir, &["-f", "sarif"]);
    let sarif = json(&out);
    let validator = jsonschema::validator_for(&sarif_schema()).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    // The validator does reject a result without its required message.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&broken));

    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/'), "relative URI expected: {uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert!(
            loc["region"]["endColumn"].as_u64().unwrap()
                > loc["region"]["startColumn"].as_u64().unwrap()
        );
        assert_eq!(
            r["partialFingerprints"]["keyhound/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
    }
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(rule["fullDescription"]["text"].is_string());
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
    }
    // Paths are relative to %SRCROOT%, the scanned directory, as GitHub code scanning wants.
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    assert!(
        base.trim_end_matches('/')
            .ends_with(dir.path().file_name().unwrap().to_str().unwrap()),
        "{base}"
    );
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
    }
    // A path with a space is percent-encoded.
    assert!(results.iter().any(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "infra/main%20tf/vars.tf"
    ));
    // SARIF gets uploaded and shared: it never carries the secret itself.
    let text = String::from_utf8(out).unwrap();
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "SARIF leaks {s}");
    }
}

#[test]
fn human_output_groups_by_file_and_masks_secrets() {
    let (dir, secrets) = leaky_tree();
    let (out, stderr) = run(&dir, &["--color", "never"]);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("src/settings.py\n  1:17  github-pat-classic (high)  ghp_"),
        "{text}"
    );
    assert!(
        text.contains("billing.env\n  2:12  stripe-secret-key (high)"),
        "{text}"
    );
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "human output shows {s} in full");
    }
    assert!(!text.contains('\x1b'), "no colour when told never");
    assert!(
        stderr.contains("3 findings (3 high) in 3 files"),
        "{stderr}"
    );
    let (out, _) = run(&dir, &["--color", "always"]);
    assert!(String::from_utf8(out).unwrap().contains("\x1b[1m"));
}

#[test]
fn redact_hides_secrets_in_every_format() {
    let (dir, secrets) = leaky_tree();
    for format in ["human", "json", "jsonl", "sarif"] {
        let (out, stderr) = run(&dir, &["-f", format, "--redact"]);
        let text = String::from_utf8(out).unwrap();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{format} leaks {s}");
            assert!(!stderr.contains(s.as_str()), "stderr leaks {s}");
        }
        if format != "sarif" {
            assert!(text.contains("REDACTED"), "{format}: {text}");
        }
    }
    let (out, _) = run(&dir, &["-f", "json", "--redact=4"]);
    let report = json(&out);
    for f in report.as_array().unwrap() {
        let shown = f["secret"].as_str().unwrap();
        assert!(
            shown.ends_with("REDACTED") && shown.len() == 4 + "REDACTED".len(),
            "{shown}"
        );
        assert!(!f["line_content"].as_str().unwrap().contains(&secrets[0]));
    }
}

#[test]
fn output_file_is_written_whole_and_stdout_stays_empty() {
    let (dir, _) = leaky_tree();
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("report.sarif");
    keyhound()
        .args(["scan", "-f", "sarif", "-o"])
        .arg(&target)
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let sarif = json(&std::fs::read(&target).unwrap());
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);
    // Only the report itself lands in the output directory: no temporary files left over.
    assert_eq!(std::fs::read_dir(out_dir.path()).unwrap().count(), 1);

    keyhound()
        .args(["scan", "-o", "/nonexistent-dir/report.json"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent-dir/report.json"));
}

#[cfg(unix)]
#[test]
fn output_to_a_device_writes_through_it_and_leaves_it_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let (dir, _) = leaky_tree();
    keyhound()
        .args(["scan", "-f", "json", "-o", "/dev/null"])
        .arg(dir.path())
        .assert()
        .code(1);
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/null was replaced");

    // A FIFO receives the whole report.
    let fifo = dir.path().join("report.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    keyhound()
        .args(["scan", "-f", "json", "-o"])
        .arg(&fifo)
        .arg(dir.path().join("src"))
        .assert()
        .code(1);
    let report = json(&reader.join().unwrap());
    assert_eq!(report.as_array().unwrap().len(), 1);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}
