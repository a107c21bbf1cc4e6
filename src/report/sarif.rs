//! SARIF 2.1.0 for GitHub code scanning. The secret itself is never written here, even
//! without `--redact`: SARIF files get uploaded and shared. Types come from `serde-sarif`,
//! generated from the official schema.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    Sarif, Suppression as SarifSuppression, Tool, ToolComponent,
};

use super::Report;
use crate::finding::{Finding, Suppression};
use crate::rules::{Confidence, Rule};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// GitHub code scanning takes at most this many results per run.
const MAX_RESULTS: usize = 25_000;
const SRCROOT: &str = "%SRCROOT%";
const FINGERPRINT_KEY: &str = "keyhound/v1";

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let log = build(report);
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn build(report: &Report) -> Sarif {
    // Over GitHub's limit, keep the most confident findings and say so.
    let mut kept: Vec<&Finding> = report.findings.iter().collect();
    let total = kept.len();
    if total > MAX_RESULTS {
        kept.sort_by_key(|f| std::cmp::Reverse(f.confidence));
        kept.truncate(MAX_RESULTS);
        report.diag.warn(&format!(
            "the SARIF report holds the {MAX_RESULTS} most confident of {total} findings (GitHub's limit per run)"
        ));
    }
    // The rule table lists every rule that has a result, in id order; results point into it.
    let used: BTreeSet<&str> = kept.iter().map(|f| f.rule_id.as_str()).collect();
    let matcher = report.matcher;
    let rules: Vec<&Rule> = used
        .iter()
        .filter_map(|id| {
            (0..matcher.rule_count())
                .map(|i| matcher.rule(i))
                .find(|r| r.id == *id)
        })
        .collect();
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let descriptors = rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>();
    let base = report.root.as_ref().map(|_| SRCROOT);
    let results = kept
        .iter()
        .map(|f| result(f, index.get(f.rule_id.as_str()).copied(), base))
        .collect::<Vec<_>>();
    let driver = ToolComponent::builder()
        .name("keyhound")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/keyhound/keyhound")
        .rules(descriptors)
        .build();
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .build();
    if let Some(root) = &report.root {
        run.original_uri_base_ids = Some(BTreeMap::from([(
            SRCROOT.to_string(),
            ArtifactLocation::builder().uri(root_uri(root)).build(),
        )]));
    }
    if total > MAX_RESULTS {
        run.properties = Some(
            PropertyBag::builder()
                .additional_properties(BTreeMap::from([
                    ("truncated".to_string(), serde_json::json!(true)),
                    ("totalFindings".to_string(), serde_json::json!(total)),
                ]))
                .build(),
        );
    }
    Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

fn level(c: Confidence) -> ResultLevel {
    match c {
        Confidence::High => ResultLevel::Error,
        Confidence::Medium => ResultLevel::Warning,
        Confidence::Low => ResultLevel::Note,
    }
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let fix = rule
        .remediation
        .as_deref()
        .unwrap_or("If this is a real credential, revoke and rotate it at the provider first.");
    let help = format!(
        "{}\n\n{fix} Then remove it from the code and from git history, and load it from a \
         secrets manager or the environment instead.",
        rule.description
    );
    let builder = ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(pascal_case(&rule.id))
        .short_description(text(rule.name.clone()))
        .full_description(text(rule.description.clone()))
        .help(text(help))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::to_value(level(rule.confidence)).unwrap_or_default())
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec!["security".to_string(), "secret".to_string()])
                .additional_properties(BTreeMap::from([(
                    "confidence".to_string(),
                    serde_json::json!(rule.confidence),
                )]))
                .build(),
        );
    match rule.references.first() {
        Some(uri) => builder.help_uri(uri.clone()).build(),
        None => builder.build(),
    }
}

fn result(f: &Finding, rule_index: Option<usize>, base: Option<&str>) -> SarifResult {
    let region = Region::builder()
        .start_line(f.line as i64)
        .start_column(f.column as i64)
        .end_line(f.end_line as i64)
        .end_column(f.end_column as i64)
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                // A member of an archive: the location is the archive file.
                .artifact_location(artifact(f.origin.file(), base))
                .region(region)
                .build(),
        )
        .build();
    let message = Message::builder()
        .text(format!(
            "{} ({} confidence). Rotate it if it is real.",
            f.rule_name, f.confidence
        ))
        .build();
    let mut props = BTreeMap::from([
        ("confidence".to_string(), serde_json::json!(f.confidence)),
        ("entropy".to_string(), serde_json::json!(f.entropy)),
        ("validation".to_string(), serde_json::json!(f.validation)),
    ]);
    if let Some(d) = &f.validation_detail {
        props.insert("validationDetail".to_string(), serde_json::json!(d));
    }
    if let Some(how) = &f.decoded {
        props.insert("decoded".to_string(), serde_json::json!(how));
    }
    if let Some(member) = f.origin.member() {
        props.insert("archiveMember".to_string(), serde_json::json!(member));
    }
    if let Some(v) = &f.verification {
        props.insert("verification".to_string(), serde_json::json!(v));
    }
    if !f.paired.is_empty() {
        // Where the other halves are; never their secrets (SARIF is uploaded).
        let parts: Vec<_> = f
            .paired
            .iter()
            .map(|p| serde_json::json!({"ruleId": p.rule_id, "line": p.line, "column": p.column}))
            .collect();
        props.insert("paired".to_string(), serde_json::json!(parts));
    }
    let mut fingerprints = BTreeMap::from([(FINGERPRINT_KEY.to_string(), f.fingerprint.clone())]);
    if f.origin.blob().is_some() {
        // The whole origin (commit, author, date, message, blob) as properties; the commit
        // also in partialFingerprints, so a viewer tells apart one secret in two commits.
        if let Ok(serde_json::Value::Object(mut map)) = serde_json::to_value(&f.origin) {
            map.remove("path");
            props.extend(map);
        }
        if let Some(c) = f.origin.commit() {
            fingerprints.insert("commit".to_string(), c.id.to_string());
        }
    }
    let properties = PropertyBag::builder().additional_properties(props).build();
    let builder = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .level(level(f.confidence))
        .message(message)
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(properties);
    let mut result = match rule_index {
        Some(i) => builder.rule_index(i as i64).build(),
        None => builder.build(),
    };
    // With --show-suppressed: an inline allow is an in-source suppression, the ignore file an
    // external one.
    if let Some(why) = f.suppressed {
        let kind = match why {
            Suppression::Inline => "inSource",
            Suppression::IgnoreFile | Suppression::Baseline | Suppression::Allowlist => "external",
        };
        result.suppressions = Some(vec![SarifSuppression::builder()
            .kind(serde_json::json!(kind))
            .build()]);
    }
    result
}

/// Where a finding is: a path relative to `%SRCROOT%` when there is a root; stdin and
/// unreachable blobs have none.
fn artifact(path: &str, base: Option<&str>) -> ArtifactLocation {
    match base {
        Some(b) if !path.starts_with('<') && !path.starts_with('/') => ArtifactLocation::builder()
            .uri(uri(path))
            .uri_base_id(b)
            .build(),
        _ => ArtifactLocation::builder().uri(uri(path)).build(),
    }
}

/// `file:///abs/dir/`, percent-encoded, with the trailing slash SARIF requires of a base.
fn root_uri(root: &std::path::Path) -> String {
    let mut text = uri(&root.to_string_lossy());
    if !text.ends_with('/') {
        text.push('/');
    }
    format!("file://{text}")
}

/// A relative URI reference for a path: `/` separators, everything outside RFC 3986's
/// unreserved set and `/` percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|h| h.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("src/a b.rs"), "src/a%20b.rs");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(uri("dir/é.txt"), "dir/%C3%A9.txt");
    }

    #[test]
    fn over_githubs_limit_the_most_confident_results_are_kept() {
        use crate::finding::Finding;
        let matcher = crate::matcher::Matcher::new(crate::rules::embedded());
        let one = |confidence| Finding {
            end_column: 21,
            ..Finding::example("aws-access-key-id", "a.env", 1, confidence)
        };
        let mut findings = vec![one(Confidence::Low); 10];
        findings.extend(vec![one(Confidence::High); MAX_RESULTS]);
        let stats = crate::report::Stats::default();
        let diag = crate::diag::Collected::default();
        let report = Report {
            findings: &findings,
            stats: &stats,
            matcher: &matcher,
            color: false,
            redacted: false,
            print_fingerprints: false,
            root: None,
            diag: &diag,
            links: None,
        };
        let log = serde_json::to_value(build(&report)).unwrap();
        assert_eq!(diag.warnings.lock().unwrap().len(), 1);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS);
        assert!(results.iter().all(|r| r["level"] == "error"));
        assert_eq!(log["runs"][0]["properties"]["truncated"], true);
        assert_eq!(
            log["runs"][0]["properties"]["totalFindings"],
            MAX_RESULTS + 10
        );
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("aws-access-key-id"), "AwsAccessKeyId");
    }
}
