//! Detection beyond one regex: decoding, offline validation, paired credentials, remediation
//! and the false-positive filters, through the real binary on files the tests write.

mod common;

use base64::Engine;
use common::*;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn aws_secret() -> String {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        40,
    )
}

/// The rule ids reported for `dir` with `--decode-depth depth`.
fn rules_at_depth(dir: &std::path::Path, depth: &str) -> Vec<String> {
    let out = keyhound()
        .args(["scan", "-f", "json", "--decode-depth", depth])
        .arg(dir)
        .output()
        .unwrap();
    json(&out.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

fn one<'a>(report: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    let all: Vec<_> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect();
    assert_eq!(all.len(), 1, "one {rule} finding expected in {report:#}");
    all[0]
}

#[test]
fn secrets_in_a_kubernetes_secret_are_decoded_and_placed_on_the_encoded_text() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    let encoded = b64(&pat);
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  GITHUB_TOKEN: {encoded}\n"
    );
    write(dir.path(), "k8s/secret.yaml", &manifest);
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    let f = one(&report, "github-pat-classic");
    assert_eq!(f["secret"], pat.as_str());
    assert_eq!(f["decoded"], "base64");
    assert_eq!(f["validation"], "valid-structure");
    assert_eq!(f["line"], 6);
    // The location is the encoded text in the file: it starts at column 17.
    assert_eq!(f["column"], 17);
    assert_eq!(f["end_column"], 17 + encoded.len());

    // With decoding off, the token is not seen.
    assert!(!rules_at_depth(dir.path(), "0").contains(&"github-pat-classic".to_string()));
}

#[test]
fn two_layers_deep_needs_depth_two_and_says_how() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    write(
        dir.path(),
        "values.yaml",
        format!("blob: {}\n", b64(&format!("token: {}", b64(&pat)))),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    let f = one(&report, "github-pat-classic");
    assert_eq!(f["decoded"], "base64 → base64");
    assert_eq!(f["secret"], pat.as_str());
    // One layer down there is only `token: <base64>`: a generic secret at most.
    assert!(!rules_at_depth(dir.path(), "1").contains(&"github-pat-classic".to_string()));
}

#[test]
fn docker_config_json_in_a_secret_and_basic_auth_headers_are_validated_by_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let password = random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 20);
    let auth = b64(&format!("ci-bot:{password}"));
    let config = format!(r#"{{"auths":{{"ghcr.io":{{"auth":"{auth}"}}}}}}"#);
    write(
        dir.path(),
        "pull-secret.yaml",
        format!(
            "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
            b64(&config)
        ),
    );
    write(
        dir.path(),
        "client.sh",
        format!("curl -H 'Authorization: Basic {auth}' https://ci.internal/api\n"),
    );
    // Not user:password once decoded: structurally invalid, so not reported.
    write(
        dir.path(),
        "other.sh",
        format!(
            "curl -H 'Authorization: Basic {}' https://ci.internal/api\n",
            b64(&format!("nocolon{password}"))
        ),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    let docker = one(&report, "docker-config-auth");
    assert_eq!(docker["path"], "pull-secret.yaml");
    assert_eq!(docker["decoded"], "base64");
    assert_eq!(docker["secret"], auth.as_str());
    assert_eq!(docker["validation_detail"], "user ci-bot");
    let basic = one(&report, "http-basic-auth");
    assert_eq!(basic["path"], "client.sh");
    assert_eq!(basic["validation"], "valid-structure");
}

#[test]
fn percent_encoded_connection_strings_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let password = random_from(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789", 18);
    write(
        dir.path(),
        "app.env",
        format!(
            "DATABASE_URL=postgres%3A%2F%2Freports%3A{password}%40db.internal%3A5432%2Freports\n"
        ),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    let f = one(&report, "postgres-connection-string");
    assert_eq!(f["decoded"], "percent");
    assert!(f["secret"].as_str().unwrap().contains(&password), "{f:#}");
}

#[test]
fn a_checksum_failure_is_dropped_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    // One character changed: the CRC32 in the last six characters no longer matches.
    let mut bad = pat.clone().into_bytes();
    bad[12] = if bad[12] == b'Q' { b'R' } else { b'Q' };
    let bad = String::from_utf8(bad).unwrap();
    write(dir.path(), "a.env", format!("GITHUB_TOKEN={bad}\n"));
    keyhound()
        .args(["scan", "-f", "json"])
        .arg(dir.path())
        .assert()
        .code(0);
    let report = findings_of(&["scan", "-f", "json", "--include-invalid"], dir.path());
    let f = one(&report, "github-pat-classic");
    assert_eq!(f["validation"], "invalid-structure");
    assert_eq!(f["validation_detail"], "checksum mismatch");
    assert_eq!(f["confidence"], "low");
    // ...and --min-confidence filters it out again.
    keyhound()
        .args([
            "scan",
            "-f",
            "json",
            "--include-invalid",
            "--min-confidence",
            "medium",
        ])
        .arg(dir.path())
        .assert()
        .code(0);
}

#[test]
fn a_key_id_and_its_secret_nearby_are_one_high_confidence_finding() {
    let dir = tempfile::tempdir().unwrap();
    let (id, secret) = (aws_key_id(), aws_secret());
    write(
        dir.path(),
        "near.ini",
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
    );
    let (id2, secret2) = (aws_key_id(), aws_secret());
    write(
        dir.path(),
        "far.ini",
        format!(
            "aws_access_key_id = {id2}\n{}aws_secret_access_key = {secret2}\n",
            "# filler\n".repeat(20)
        ),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    assert_eq!(
        found(&report),
        vec![
            ("far.ini".into(), "aws-access-key-id".into()),
            ("far.ini".into(), "aws-secret-access-key".into()),
            ("near.ini".into(), "aws-secret-access-key".into()),
        ]
    );
    let pair = report
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "near.ini")
        .unwrap();
    assert_eq!(pair["confidence"], "high");
    assert_eq!(pair["paired"][0]["rule_id"], "aws-access-key-id");
    assert_eq!(pair["paired"][0]["secret"], id.as_str());
    assert_eq!(pair["paired"][0]["line"], 2);
    assert!(
        pair["remediation"].as_str().unwrap().contains("IAM"),
        "{pair:#}"
    );

    // Redacted: neither half reaches the output.
    let out = keyhound()
        .args(["scan", "--redact"])
        .arg(dir.path().join("near.ini"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("paired with aws-access-key-id at 2:21"),
        "{text}"
    );
    assert!(text.contains("fix: "), "{text}");
    assert!(!text.contains(&id) && !text.contains(&secret), "{text}");
}

#[test]
fn redaction_hides_the_encoded_form_too() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    let encoded = b64(&pat);
    write(dir.path(), "s.yaml", format!("data:\n  token: {encoded}\n"));
    for format in ["human", "json", "sarif", "html"] {
        let out = keyhound()
            .args(["scan", "--redact", "-f", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains(&pat), "{format} shows the secret");
        assert!(
            !text.contains(&encoded),
            "{format} shows the encoded secret"
        );
    }
}

#[test]
fn jwt_expiry_and_aws_account_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!(
        "{}.{}.{}",
        enc(r#"{"alg":"HS256","typ":"JWT"}"#),
        enc(r#"{"sub":"fake-user","exp":4102444800}"#),
        random_from(
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
            43
        )
    );
    write(
        dir.path(),
        "t.txt",
        format!("Authorization: Bearer {jwt}\n"),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    let f = one(&report, "jwt");
    assert_eq!(f["validation_detail"], "expires 2100-01-01T00:00:00+00:00");
}

#[test]
fn lockfiles_only_answer_to_provider_formats() {
    let dir = tempfile::tempdir().unwrap();
    let token = random_from(
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        32,
    );
    let line = format!("  \"resolved_token\": \"{token}\",\n");
    write(dir.path(), "package-lock.json", &line);
    write(dir.path(), "settings.json", &line);
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    assert_eq!(
        found(&report),
        vec![("settings.json".into(), "generic-api-key".into())]
    );
    write(
        dir.path(),
        "package-lock.json",
        format!("{line}  \"note\": \"{}\"\n", github_pat()),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    assert_eq!(
        found(&report),
        vec![
            ("package-lock.json".into(), "github-pat-classic".into()),
            ("settings.json".into(), "generic-api-key".into()),
        ]
    );
}

#[test]
fn an_exchange_key_and_secret_are_one_finding_with_the_exchanges_remediation() {
    let dir = tempfile::tempdir().unwrap();
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let (key, secret) = (random_from(alnum, 64), random_from(alnum, 64));
    write(
        dir.path(),
        "bot/trade.py",
        format!(
            "import ccxt\n\nexchange = ccxt.binance({{\n    'apiKey': '{key}',\n    'secret': '{secret}',\n}})\n"
        ),
    );
    let lone = random_from(alnum, 64);
    write(
        dir.path(),
        "ops/.env",
        format!("BINANCE_API_SECRET={lone}\n"),
    );
    let report = findings_of(&["scan", "-f", "json"], dir.path());
    assert_eq!(
        found(&report),
        vec![
            ("bot/trade.py".into(), "binance-api-secret".into()),
            ("ops/.env".into(), "binance-api-secret".into()),
        ]
    );
    let pair = &report[0];
    assert_eq!(pair["confidence"], "high");
    assert_eq!(pair["secret"], secret.as_str());
    assert_eq!(pair["paired"][0]["rule_id"], "binance-api-key");
    assert_eq!(pair["paired"][0]["line"], 4);
    let fix = pair["remediation"].as_str().unwrap();
    assert!(fix.contains("IP"), "{fix}");
    // Alone and only named after the exchange: medium.
    assert_eq!(report[1]["confidence"], "medium");
    assert!(report[1].get("paired").is_none());

    // SARIF carries the remediation in the rule's help, and never the secret.
    let out = keyhound()
        .args(["scan", "-f", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif = json(&out.stdout);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "binance-api-secret")
        .unwrap();
    assert!(rule["help"]["text"].as_str().unwrap().contains(fix));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(&secret) && !text.contains(&key));
}

/// A Rails master key is 32 hex digits alone in a file: no keyword, so the rule goes by path.
#[test]
fn a_key_file_is_found_by_its_path_and_only_there() {
    let dir = tempfile::tempdir().unwrap();
    let key = || random_from(b"0123456789abcdef", 32);
    let (master, staging) = (key(), key());
    write(dir.path(), "app/config/master.key", format!("{master}\n"));
    write(dir.path(), "config/credentials/staging.key", &staging);
    // The same shape anywhere else is 32 hex digits, not a key file.
    write(dir.path(), "app/config/other.key", key());
    write(dir.path(), "notes/master.key.txt", key());
    // A file at the path that is more than a key is not one.
    write(
        dir.path(),
        "legacy/config/master.key",
        format!("{} {}\n", key(), key()),
    );
    let report = findings_of(&["scan", "-f", "json", "--no-config"], dir.path());
    assert_eq!(
        found(&report),
        vec![
            ("app/config/master.key".into(), "rails-master-key".into()),
            (
                "config/credentials/staging.key".into(),
                "rails-master-key".into()
            ),
        ],
        "{report:#}"
    );
    let secrets = pairs(&report, "path", "secret");
    assert!(secrets.contains(&("app/config/master.key".into(), master)));
    assert!(secrets.contains(&("config/credentials/staging.key".into(), staging)));
}
