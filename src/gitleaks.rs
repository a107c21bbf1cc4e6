//! A path off gitleaks: its config's allowlists (`.gitleaks.toml`) as a keyhound config,
//! written by `keyhound config import-gitleaks` and read in place of a missing
//! `.keyhound.toml`. Its ignore file (`.gitleaksignore`) and JSON reports are read by the
//! filter stage (`filter::Listed`), its `gitleaks:allow` marker by the matcher.
//!
//! Only allowlists and disabled rules carry over: gitleaks' rules are not keyhound's. A
//! per-rule allowlist applies to the keyhound rules its gitleaks id maps to (the same id, else
//! the same provider: `stripe-access-token` → `stripe-*`); one with no match is left out,
//! and said so.

use serde::Serialize;
use toml::Value;

use crate::rules::Rule;

pub const CONFIG_NAME: &str = ".gitleaks.toml";
pub const IGNORE_NAME: &str = ".gitleaksignore";

/// A gitleaks config, as keyhound config text, and what did not carry over.
#[derive(Debug)]
pub struct Imported {
    pub toml: String,
    pub notes: Vec<String>,
}

#[derive(Serialize, Default)]
struct Out {
    #[serde(skip_serializing_if = "Option::is_none")]
    extend: Option<OutExtend>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowlists: Vec<OutAllowlist>,
}

#[derive(Serialize)]
struct OutExtend {
    disable: Vec<String>,
}

#[derive(Serialize, Default)]
struct OutAllowlist {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rules: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path_regexes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    secrets: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lines: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stopwords: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    commits: Vec<String>,
}

/// Providers that gitleaks and keyhound name differently (the first part of a rule id).
const PROVIDERS: &[(&str, &str)] = &[
    ("gcp", "google"),
    ("new", "newrelic"),
    ("vault", "hashicorp"),
    ("facebook", "meta"),
    ("privateai", "private-ai"),
];

/// The keyhound rules that gitleaks' rule `id` stands for.
pub fn map_rule(id: &str, rules: &[Rule]) -> Vec<String> {
    if rules.iter().any(|r| r.id == id) {
        return vec![id.to_string()];
    }
    let first = id.split('-').next().unwrap_or(id);
    let provider = PROVIDERS
        .iter()
        .find(|(g, _)| *g == first)
        .map_or(first, |(_, k)| k);
    rules
        .iter()
        .filter(|r| r.id == provider || r.id.starts_with(&format!("{provider}-")))
        .map(|r| r.id.clone())
        .collect()
}

/// Strings of `table[key]`, a list of them or one.
fn strings(table: &Value, key: &str) -> Vec<String> {
    match table.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The allowlist tables under `key` (gitleaks 8.21 on: `[[…allowlists]]`; before: one
/// `[…allowlist]`).
fn allowlists<'a>(table: &'a Value, key: &str) -> Vec<&'a Value> {
    match table.get(key) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(t @ Value::Table(_)) => vec![t],
        _ => Vec::new(),
    }
}

fn convert(gl: &Value, rules: Vec<String>, notes: &mut Vec<String>, at: &str) -> OutAllowlist {
    let mut out = OutAllowlist {
        rules,
        description: gl
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        path_regexes: strings(gl, "paths"),
        stopwords: strings(gl, "stopwords"),
        commits: strings(gl, "commits"),
        ..OutAllowlist::default()
    };
    let regexes = strings(gl, "regexes");
    match gl
        .get("regexTarget")
        .and_then(Value::as_str)
        .unwrap_or("secret")
    {
        "line" => out.lines = regexes,
        "match" => {
            if !regexes.is_empty() {
                notes.push(format!(
                    "{at}: regexTarget = \"match\" is checked against the whole line"
                ));
            }
            out.lines = regexes;
        }
        _ => out.secrets = regexes,
    }
    if gl
        .get("condition")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("and"))
    {
        out.condition = Some("all".into());
    }
    out
}

/// Converts gitleaks config `text` (from `file`) for the keyhound rules `rules`.
pub fn import(file: &str, text: &str, rules: &[Rule]) -> Result<Imported, String> {
    let gl: Value = toml::from_str(text).map_err(|e| {
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        format!("{file}: not a gitleaks config: {message}")
    })?;
    let mut notes = Vec::new();
    let mut out = Out::default();
    let extend = gl.get("extend");
    if let Some(path) = extend.and_then(|e| e.get("path")).and_then(Value::as_str) {
        notes.push(format!("{file}: [extend] path = {path:?} is not read"));
    }
    if extend
        .and_then(|e| e.get("useDefault"))
        .and_then(Value::as_bool)
        == Some(false)
    {
        notes.push(format!(
            "{file}: useDefault = false: keyhound's own rules run all the same"
        ));
    }
    let mut disable = Vec::new();
    for id in extend
        .map(|e| strings(e, "disabledRules"))
        .unwrap_or_default()
    {
        match map_rule(&id, rules).as_slice() {
            [] => notes.push(format!("{file}: disabled rule {id}: no keyhound rule is it")),
            // Only an exact match is turned off: a provider's other rules stay on.
            [one] if *one == id => disable.push(id),
            _ => notes.push(format!(
                "{file}: disabled rule {id}: keyhound has no rule of that id; use --disable-rule with one of `keyhound rules list`"
            )),
        }
    }
    if !disable.is_empty() {
        out.extend = Some(OutExtend { disable });
    }
    for (i, a) in allowlists(&gl, "allowlist")
        .into_iter()
        .chain(allowlists(&gl, "allowlists"))
        .enumerate()
    {
        let at = format!("{file}: global allowlist {}", i + 1);
        let targets = strings(a, "targetRules");
        let mut mapped: Vec<String> = targets.iter().flat_map(|t| map_rule(t, rules)).collect();
        mapped.sort();
        mapped.dedup();
        if !targets.is_empty() && mapped.is_empty() {
            notes.push(format!(
                "{at}: its rules ({}) have no keyhound match: left out",
                targets.join(", ")
            ));
            continue;
        }
        out.allowlists.push(convert(a, mapped, &mut notes, &at));
    }
    for rule in gl
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = rule.get("id").and_then(Value::as_str).unwrap_or("?");
        let lists = allowlists(rule, "allowlist")
            .into_iter()
            .chain(allowlists(rule, "allowlists"))
            .collect::<Vec<_>>();
        if lists.is_empty() {
            if rule.get("regex").is_some() {
                notes.push(format!(
                    "{file}: rule {id}: gitleaks' rules are not imported (write a [[rules]] entry in .keyhound.toml)"
                ));
            }
            continue;
        }
        let mapped = map_rule(id, rules);
        if mapped.is_empty() {
            notes.push(format!(
                "{file}: rule {id}'s allowlist: no keyhound rule matches {id}: left out"
            ));
            continue;
        }
        for (i, a) in lists.into_iter().enumerate() {
            let at = format!("{file}: rule {id}'s allowlist {}", i + 1);
            out.allowlists
                .push(convert(a, mapped.clone(), &mut notes, &at));
        }
    }
    let body = toml::to_string(&out).map_err(|e| format!("{file}: {e}"))?;
    let mut toml = format!(
        "# Imported from {file} by keyhound config import-gitleaks: its allowlists and\n\
         # disabled rules (keyhound's own rules replace gitleaks' rules).\n"
    );
    for n in &notes {
        toml.push_str(&format!("# note: {n}\n"));
    }
    toml.push('\n');
    toml.push_str(&body);
    Ok(Imported { toml, notes })
}
