//! The promise that matters most: a secret the user asked to hide is never shown. Secrets of
//! 8 to 20,000 bytes at any position in lines of up to 100 kB, alone, beside their pair's
//! other half and base64-encoded, go through the real pipeline (scanner, filter stage,
//! reporters); no output of any format under `--redact`, and no human, HTML or SARIF output
//! without it, holds 12 consecutive characters of any of them.

use std::collections::{BTreeSet, HashSet};

use base64::Engine;
use keyhound::content::{Content, Provenance};
use keyhound::diag::Collected;
use keyhound::filter::Filter;
use keyhound::matcher::Matcher;
use keyhound::report::{self, Format, Report};
use keyhound::rules::parse_rules;
use keyhound::scanner::{self, ScanOptions};
use keyhound::source::{Sink, Source, SourceError};
use proptest::prelude::*;

/// A probe rule whose secret may be of any length, and the key id it pairs with.
const RULES: &str = r#"
[[rules]]
id = "probe-key"
name = "Probe key"
description = "d"
keywords = ["kh_probe_"]
regex = '''kh_probe_([A-Za-z0-9]{8,})'''
window = 21000
confidence = "high"
pairs_with = ["probe-id"]

[[rules]]
id = "probe-id"
name = "Probe key id"
description = "d"
keywords = ["kh_id_"]
regex = '''kh_id_([A-Za-z0-9]{16,64})'''
confidence = "medium"
"#;

/// One file in memory, handed to the scanner as a source would.
struct InMemory(Vec<u8>);

impl Source for InMemory {
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
        sink.content(Content {
            provenance: Provenance::File {
                path: "app/settings.txt".into(),
            },
            bytes: &self.0,
            delta: None,
            reused_by: 0,
        });
        Ok(())
    }
}

/// `source` through the scanner and `filter`.
fn scan(source: &dyn Source, matcher: &Matcher, filter: &Filter) -> scanner::Outcome {
    let opts = ScanOptions {
        max_file_size: u64::MAX,
        fail_too_large: false,
        progress: false,
        deltas: false,
        archive_depth: 0,
        cache: None,
    };
    scanner::run(source, matcher, &opts, filter, &Collected::default()).expect("scans")
}

/// Every format's output for `text`, with `redact` as `--redact` gives it.
fn outputs(matcher: &Matcher, text: &[u8], redact: Option<usize>) -> Vec<(Format, String, usize)> {
    let filter = Filter {
        redact,
        ..Filter::default()
    };
    let diag = Collected::default();
    let outcome = scan(&InMemory(text.to_vec()), matcher, &filter);
    let formats = [
        Format::Human,
        Format::Json,
        Format::Jsonl,
        Format::Sarif,
        Format::Html,
    ];
    formats
        .into_iter()
        .map(|format| {
            let report = Report {
                findings: &outcome.findings,
                stats: &outcome.stats,
                matcher,
                color: false,
                redacted: redact.is_some(),
                print_fingerprints: true,
                root: None,
                diag: &diag,
                links: None,
            };
            let mut out = Vec::new();
            report::write(format, &report, &mut out).expect("writes");
            (
                format,
                String::from_utf8(out).expect("UTF-8"),
                outcome.findings.len(),
            )
        })
        .collect()
}

/// The first 12-character run of `secret` that `output` holds, if any.
fn leaked(output: &str, secret: &str) -> Option<String> {
    const RUN: usize = 12;
    let runs: HashSet<&[u8]> = secret.as_bytes().windows(RUN).collect();
    output
        .as_bytes()
        .windows(RUN)
        .find(|w| runs.contains(w))
        .map(|w| String::from_utf8_lossy(w).into_owned())
}

fn alnum(len: usize, seed: u64) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut x = seed | 1;
    // A digit first: an all-letter value could pass for an identifier.
    let mut s = String::from("7");
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(A[(x % A.len() as u64) as usize] as char);
    }
    s
}

fn secret_len() -> impl Strategy<Value = usize> {
    prop_oneof![8usize..64, 64usize..2_000, 2_000usize..20_000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_output_shows_a_hidden_secret(
        len in secret_len(),
        before in 0usize..50_000,
        after in 0usize..50_000,
        seed in any::<u64>(),
        pair in 0u8..3,
        encode in any::<bool>(),
        repeat in any::<bool>(),
    ) {
        let matcher = Matcher::new(parse_rules("probe.toml", RULES).unwrap());
        let secret = alnum(len, seed);
        let key_id = alnum(24, seed.rotate_left(17));
        let mut token = format!("kh_probe_{secret}");
        if encode {
            token = base64::engine::general_purpose::STANDARD.encode(&token);
        }
        let filler = |n: usize| "lorem ipsum ".repeat(n / 12 + 1)[..n].to_string();
        let mut line = format!("{}token = \"{token}\"", filler(before));
        if repeat {
            // The same secret again further along the line, past any cut.
            line.push_str(&format!(" {} backup={token}", filler(300)));
        }
        let id = format!("kh_id_{key_id}");
        let text = match pair {
            0 => format!("{line}{}\n", filler(after)),
            1 => format!("{line} id = {id}{}\n", filler(after)),
            _ => format!("id = {id}\n{line}{}\n", filler(after)),
        };
        let mut forms = vec![secret.clone(), key_id.clone()];
        if encode {
            // Past the encoded `kh_probe_` header: its 9 bytes are 12 base64 characters.
            forms.push(token[12..].to_string());
        }
        for (redact, hidden) in [
            (Some(0), &[Format::Human, Format::Json, Format::Jsonl, Format::Sarif, Format::Html][..]),
            (None, &[Format::Human, Format::Sarif, Format::Html][..]),
        ] {
            for (format, out, found) in outputs(&matcher, text.as_bytes(), redact) {
                if !encode {
                    // Found at all, or the property would hold for nothing.
                    prop_assert!(found >= 1, "{format:?}: nothing found");
                }
                if !hidden.contains(&format) {
                    continue;
                }
                for form in &forms {
                    prop_assert_eq!(
                        leaked(&out, form),
                        None,
                        "{:?}, redact {:?}: {} bytes of secret shown",
                        format,
                        redact,
                        form.len()
                    );
                }
            }
        }
    }
}

/// The shape of every service-account file: a private key inside a JSON string, on one line
/// far longer than the part of it that is shown. Under `--redact` no format may show its
/// body; without it, human and HTML output may not either.
#[test]
fn a_private_key_in_a_json_string_is_hidden_in_every_format() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/private-keys.toml"
    ))
    .unwrap();
    let rules = parse_rules("private-keys.toml", &text).unwrap();
    let pem = rules
        .iter()
        .flat_map(|r| r.examples.iter())
        .find(|e| e.starts_with("-----BEGIN PRIVATE KEY-----"))
        .expect("a PKCS#8 example")
        .clone();
    let escaped = pem.trim_end().replace('\n', "\\n");
    let json = format!(
        "{{\"type\": \"service_account\", \"project_id\": \"demo\", \"private_key\": \"{escaped}\\n\", \"client_email\": \"a@demo.iam.gserviceaccount.com\"}}\n"
    );
    let matcher = Matcher::new(keyhound::rules::embedded());
    // The key's base64 body, line by line: past the common `-----BEGIN …` header.
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for (redact, hidden) in [
        (
            Some(0),
            &[
                Format::Human,
                Format::Json,
                Format::Jsonl,
                Format::Sarif,
                Format::Html,
            ][..],
        ),
        (None, &[Format::Human, Format::Sarif, Format::Html][..]),
    ] {
        for (format, out, found) in outputs(&matcher, json.as_bytes(), redact) {
            assert!(found >= 1, "{format:?}: the key is not found");
            if hidden.contains(&format) {
                for line in &body {
                    assert_eq!(
                        leaked(&out, line),
                        None,
                        "{format:?}, redact {redact:?}:\n{out}"
                    );
                }
            }
        }
    }
}

/// Staged content is scanned through the same pipeline: only findings on added lines count.
#[test]
fn staged_provenance_keeps_only_added_lines() {
    struct Staged(Vec<u8>);
    impl Source for Staged {
        fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
            sink.content(Content {
                provenance: Provenance::Staged {
                    path: "a.txt".into(),
                    blob: keyhound::content::ObjectId([1; 20]),
                    added_lines: BTreeSet::from([2]),
                },
                bytes: &self.0,
                delta: None,
                reused_by: 0,
            });
            Ok(())
        }
    }
    let matcher = Matcher::new(parse_rules("probe.toml", RULES).unwrap());
    let text = format!(
        "old = kh_probe_{}\nnew = kh_probe_{}\n",
        alnum(20, 5),
        alnum(20, 9)
    );
    let outcome = scan(&Staged(text.into_bytes()), &matcher, &Filter::default());
    let lines: Vec<usize> = outcome.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, [2]);
}
