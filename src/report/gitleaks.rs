//! `gitleaks-json`: the report gitleaks writes (`--report-format json`), for the tools that
//! parse it (DefectDojo's "Gitleaks Scan" parser, reviewdog, CI scripts). Field names and
//! the fingerprint's shape (`commit:file:rule:line`, or `file:rule:line` outside a history)
//! are gitleaks'; the rule ids are keyhound's. Secrets are as in JSON: raw unless `--redact`.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use crate::finding::Finding;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Leak<'a> {
    #[serde(rename = "RuleID")]
    rule_id: &'a str,
    description: &'a str,
    start_line: usize,
    end_line: usize,
    start_column: usize,
    end_column: usize,
    #[serde(rename = "Match")]
    matched: &'a str,
    secret: &'a str,
    file: &'a str,
    symlink_file: &'a str,
    commit: String,
    entropy: f64,
    author: &'a str,
    email: &'a str,
    date: &'a str,
    message: &'a str,
    tags: Vec<String>,
    fingerprint: String,
    link: String,
}

fn leak<'a>(f: &'a Finding, report: &Report) -> Leak<'a> {
    let commit = f.origin.commit();
    let info = commit.and_then(|c| c.info.as_ref());
    let id = commit.map(|c| c.id.to_string()).unwrap_or_default();
    // An archive member is `archive.zip!inner/file`, as gitleaks writes it.
    let file = f.path();
    let fingerprint = if id.is_empty() {
        format!("{file}:{}:{}", f.rule_id, f.line)
    } else {
        format!("{id}:{file}:{}:{}", f.rule_id, f.line)
    };
    let link = match (&report.links, id.is_empty(), f.origin.member()) {
        (Some(links), false, None) => links
            .file
            .replace("{commit}", &id)
            .replace("{path}", file)
            .replace("{line}", &f.line.to_string()),
        _ => String::new(),
    };
    let mut tags = vec![format!("confidence:{}", f.confidence)];
    tags.push(format!("validation:{}", f.validation.as_str()));
    Leak {
        rule_id: &f.rule_id,
        description: &f.rule_name,
        start_line: f.line,
        end_line: f.end_line,
        start_column: f.column,
        end_column: f.end_column,
        matched: &f.secret,
        secret: &f.secret,
        file,
        symlink_file: "",
        commit: id,
        entropy: f.entropy,
        author: info.map_or("", |i| &i.author),
        email: info.map_or("", |i| &i.email),
        date: info.map_or("", |i| &i.date),
        message: info.map_or("", |i| &i.message),
        tags,
        fingerprint,
        link,
    }
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let leaks: Vec<Leak> = report.findings.iter().map(|f| leak(f, report)).collect();
    serde_json::to_writer_pretty(&mut *out, &leaks)?;
    writeln!(out)
}
