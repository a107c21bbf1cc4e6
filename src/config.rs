//! `.keyhound.toml`: custom rules, disabled rules, options and allowlists. Loaded from the
//! root of the scanned tree or repository, or from `--config FILE`; checked by
//! `keyhound config check`. Errors name the file, line, column and key at fault.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;

use crate::finding::Finding;
use crate::gitleaks;
use crate::rules::{self, Confidence, Rule};

pub const FILE_NAME: &str = ".keyhound.toml";
/// Fingerprints never to report, one per line, beside the config.
pub const IGNORE_FILE_NAME: &str = ".keyhoundignore";
/// `--max-file-size` when neither the command line nor the config sets it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A problem inside the file, with the file, line, column and key where they are known.
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SizeError(String);

/// Parses `1048576`, `512K`, `10M`, `1G`, `10MiB`, `10MB` (binary multiples throughout).
pub fn parse_size(s: &str) -> Result<u64, SizeError> {
    let t = s.trim();
    let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = t[digits.len()..].to_ascii_lowercase();
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| SizeError(format!("'{s}' is not a size (e.g. 1048576, 512K, 10M)")))?;
    let mult: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(SizeError(format!("'{s}': unknown size unit '{unit}'"))),
    };
    n.checked_mul(mult)
        .ok_or_else(|| SizeError(format!("'{s}' is too large")))
}

/// The directories whose `.keyhound.toml` and `.keyhoundignore` apply to a scan of `path`:
/// the directory itself (a file's own directory) and, inside a git work tree, every directory
/// above it up to the tree's top, nearest first. Outside a work tree, only the first.
pub fn search_dirs(path: &Path) -> Vec<PathBuf> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let start = if path.is_dir() {
        path
    } else {
        path.parent().map_or(path.clone(), Path::to_path_buf)
    };
    let mut dirs = Vec::new();
    for dir in start.ancestors() {
        dirs.push(dir.to_path_buf());
        if dir.join(".git").exists() {
            return dirs;
        }
    }
    dirs.truncate(1);
    dirs
}

/// Settings a command line may give; `None` leaves each to the config, then to the default.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub max_file_size: Option<u64>,
    pub min_confidence: Option<Confidence>,
    pub redact: Option<usize>,
    pub exit_code: Option<u8>,
    pub decode_depth: Option<usize>,
    pub archive_depth: Option<usize>,
}

/// What a scan runs with: each setting from the command line, else the config, else the
/// default. Resolved here and nowhere else.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub max_file_size: u64,
    pub min_confidence: Option<Confidence>,
    pub redact: Option<usize>,
    pub exit_code: u8,
    pub decode_depth: usize,
    pub archive_depth: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    extend: Extend,
    #[serde(default)]
    options: Options,
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
    #[serde(default)]
    verify: RawVerify,
}

/// `[verify]`: where `--verify` asks each provider.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    /// Provider → base URL (GitHub Enterprise, GitLab self-managed, a test server).
    #[serde(default)]
    endpoints: std::collections::HashMap<String, String>,
    /// Seconds one call may take, in all (default 10).
    timeout: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extend {
    /// Keep the built-in rules (default true).
    #[serde(default = "yes")]
    default: bool,
    /// Built-in or custom rule ids to turn off.
    #[serde(default)]
    disable: Vec<String>,
}

impl Default for Extend {
    fn default() -> Self {
        Extend {
            default: true,
            disable: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

/// Options a config may set; command-line flags win over them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Like `--max-file-size`: bytes or `512K`, `10M`.
    pub max_file_size: Option<String>,
    pub min_confidence: Option<Confidence>,
    /// Like `--redact=N`.
    pub redact: Option<usize>,
    pub exit_code: Option<u8>,
    /// Like `--decode-depth`.
    pub decode_depth: Option<usize>,
    /// Like `--archive-depth`.
    pub archive_depth: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowlist {
    /// Rule ids this allowlist applies to; empty means every rule.
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    description: Option<String>,
    /// Path globs (`tests/fixtures/**`, `*.lock`).
    #[serde(default)]
    paths: Vec<String>,
    /// Regexes matched against the path (gitleaks' `paths`).
    #[serde(default)]
    path_regexes: Vec<String>,
    /// `any` (the default): one match allows; `all`: every kind given must match (gitleaks'
    /// `condition = "AND"`).
    #[serde(default)]
    condition: Condition,
    /// Regexes matched against the secret.
    #[serde(default)]
    secrets: Vec<String>,
    /// Regexes matched against the line holding the secret.
    #[serde(default)]
    lines: Vec<String>,
    /// Words that, found in the secret (any case), allow it.
    #[serde(default)]
    stopwords: Vec<String>,
    /// Commit ids (or prefixes of 7+ characters) whose findings are allowed.
    #[serde(default)]
    commits: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Condition {
    #[default]
    Any,
    All,
}

/// An allowlist, compiled.
#[derive(Debug)]
pub struct Allowlist {
    pub rules: Vec<String>,
    pub description: Option<String>,
    condition: Condition,
    paths: GlobSet,
    path_count: usize,
    path_regexes: Vec<Regex>,
    secrets: Vec<Regex>,
    lines: Vec<Regex>,
    stopwords: Vec<String>,
    commits: Vec<String>,
}

impl Allowlist {
    /// Whether this allowlist lets `f` through (suppresses it).
    pub fn allows(&self, f: &Finding) -> bool {
        if !self.rules.is_empty() && !self.rules.contains(&f.rule_id) {
            return false;
        }
        let secret_lower = f.secret.to_ascii_lowercase();
        // Each kind of entry given: (whether any is given, whether one matches).
        let kinds = [
            (
                self.path_count + self.path_regexes.len() > 0,
                (self.path_count > 0 && self.paths.is_match(f.path()))
                    || self.path_regexes.iter().any(|r| r.is_match(f.path())),
            ),
            (
                !self.secrets.is_empty(),
                self.secrets.iter().any(|r| r.is_match(&f.secret)),
            ),
            (
                !self.lines.is_empty(),
                self.lines.iter().any(|r| r.is_match(&f.line_content)),
            ),
            (
                !self.stopwords.is_empty(),
                self.stopwords.iter().any(|w| secret_lower.contains(w)),
            ),
            (
                !self.commits.is_empty(),
                f.origin.commit().is_some_and(|c| {
                    let id = c.id.to_string();
                    self.commits.iter().any(|a| id.starts_with(a))
                }),
            ),
        ];
        let mut given = kinds.iter().filter(|(given, _)| *given).peekable();
        match self.condition {
            Condition::Any => given.any(|(_, hit)| *hit),
            Condition::All => given.peek().is_some() && given.all(|(_, hit)| *hit),
        }
    }

    fn summary(&self) -> String {
        let scope = if self.rules.is_empty() {
            "every rule".to_string()
        } else {
            self.rules.join(", ")
        };
        let about = self
            .description
            .as_ref()
            .map_or(String::new(), |d| format!(" ({d})"));
        format!(
            "{scope}{about}: {} paths, {} secret regexes, {} line regexes, {} stopwords, {} commits{}",
            self.path_count + self.path_regexes.len(),
            self.secrets.len(),
            self.lines.len(),
            self.stopwords.len(),
            self.commits.len(),
            if self.condition == Condition::All {
                " (all must match)"
            } else {
                ""
            }
        )
    }
}

/// A loaded, checked configuration.
#[derive(Debug)]
pub struct Config {
    pub source: Option<PathBuf>,
    pub rules: Vec<Rule>,
    pub custom_rules: usize,
    pub disabled: Vec<String>,
    pub options: Options,
    /// `options.max_file_size`, parsed.
    pub max_file_size: Option<u64>,
    pub allowlists: Vec<Allowlist>,
    /// Read from a `.gitleaks.toml` (its allowlists), for want of a `.keyhound.toml`.
    pub from_gitleaks: bool,
    /// `[verify.endpoints]`, checked.
    pub endpoints: crate::verify::Endpoints,
}

impl Config {
    /// No config file: the built-in rules and nothing else.
    pub fn builtin() -> Config {
        Config {
            source: None,
            rules: rules::embedded(),
            custom_rules: 0,
            disabled: Vec::new(),
            options: Options::default(),
            max_file_size: None,
            allowlists: Vec::new(),
            from_gitleaks: false,
            endpoints: Default::default(),
        }
    }

    /// Loads `path`; every problem is one line naming the file (and where it can, the line,
    /// column and key).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.display().to_string(),
            source,
        })?;
        Config::parse(&path.display().to_string(), &text).map(|mut c| {
            c.source = Some(path.to_path_buf());
            c
        })
    }

    /// The config that applies to a scan of `paths`: the nearest `.keyhound.toml` (see
    /// `search_dirs`) of the first path that has one; none is the built-in rules.
    /// Without one, the nearest `.gitleaks.toml`'s allowlists (`gitleaks::import`).
    pub fn discover(paths: &[PathBuf]) -> Result<Config, ConfigError> {
        let dirs: Vec<PathBuf> = paths.iter().flat_map(|p| search_dirs(p)).collect();
        for dir in &dirs {
            let file = dir.join(FILE_NAME);
            if file.is_file() {
                return Config::load(&file);
            }
        }
        for dir in &dirs {
            let file = dir.join(gitleaks::CONFIG_NAME);
            if file.is_file() {
                return Config::import_gitleaks(&file).map(|(config, _)| config);
            }
        }
        Ok(Config::builtin())
    }

    /// The keyhound config that gitleaks config `path` amounts to, its text and notes.
    pub fn import_gitleaks(path: &Path) -> Result<(Config, gitleaks::Imported), ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        let imported =
            gitleaks::import(&file, &text, &rules::embedded()).map_err(ConfigError::Invalid)?;
        let mut config = Config::parse(&format!("{file} (imported)"), &imported.toml)?;
        config.source = Some(path.to_path_buf());
        config.from_gitleaks = true;
        Ok((config, imported))
    }

    /// Each setting from `flags`, else this config, else the default.
    pub fn settings(&self, flags: &Overrides) -> Settings {
        let o = &self.options;
        Settings {
            max_file_size: flags
                .max_file_size
                .or(self.max_file_size)
                .unwrap_or(DEFAULT_MAX_FILE_SIZE),
            min_confidence: flags.min_confidence.or(o.min_confidence),
            redact: flags.redact.or(o.redact),
            exit_code: flags.exit_code.or(o.exit_code).unwrap_or(1),
            decode_depth: flags
                .decode_depth
                .or(o.decode_depth)
                .unwrap_or(crate::matcher::DEFAULT_DECODE_DEPTH),
            archive_depth: flags
                .archive_depth
                .or(o.archive_depth)
                .unwrap_or(crate::source::archive::DEFAULT_DEPTH),
        }
    }

    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        Config::parse_text(file, text).map_err(ConfigError::Invalid)
    }

    fn parse_text(file: &str, text: &str) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
            match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    match key_at(text, span.start) {
                        Some(key) => format!("{file}:{line}:{col}: `{key}`: {message}"),
                        None => format!("{file}:{line}:{col}: {message}"),
                    }
                }
                None => format!("{file}: {message}"),
            }
        })?;
        for rule in &raw.rules {
            rules::validate(rule).map_err(|m| format!("{file}: rule '{}': {m}", rule.id))?;
        }
        let max_file_size = match &raw.options.max_file_size {
            Some(size) => Some(
                parse_size(size).map_err(|m| format!("{file}: `options.max_file_size`: {m}"))?,
            ),
            None => None,
        };
        let mut all = if raw.extend.default {
            rules::embedded()
        } else {
            Vec::new()
        };
        for custom in &raw.rules {
            if all.iter().any(|r| r.id == custom.id) {
                return Err(format!(
                    "{file}: rule '{}': the id is already taken (disable the built-in rule, or pick another id)",
                    custom.id
                ));
            }
        }
        let custom_rules = raw.rules.len();
        all.extend(raw.rules);
        for id in &raw.extend.disable {
            if !all.iter().any(|r| r.id == *id) {
                return Err(format!("{file}: `extend.disable`: no rule '{id}'"));
            }
        }
        all.retain(|r| !raw.extend.disable.contains(&r.id));
        let endpoints = crate::verify::Endpoints::new(raw.verify.endpoints, raw.verify.timeout)
            .map_err(|e| format!("{file}: {e}"))?;
        let allowlists = raw
            .allowlists
            .into_iter()
            .enumerate()
            .map(|(i, a)| compile_allowlist(file, i + 1, a, &all))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            source: None,
            rules: all,
            custom_rules,
            disabled: raw.extend.disable,
            options: raw.options,
            max_file_size,
            allowlists,
            from_gitleaks: false,
            endpoints,
        })
    }

    /// `--enable-rule` (only these, when any) and `--disable-rule`: an id that names no
    /// rule of this config is an error, not a silent no-op.
    pub fn select(&mut self, enable: &[String], disable: &[String]) -> Result<(), ConfigError> {
        for (flag, ids) in [("--enable-rule", enable), ("--disable-rule", disable)] {
            if let Some(id) = ids
                .iter()
                .find(|id| !self.rules.iter().any(|r| r.id == **id))
            {
                return Err(ConfigError::Invalid(format!(
                    "{flag} {id}: no such rule (keyhound rules list names them)"
                )));
            }
        }
        self.rules
            .retain(|r| (enable.is_empty() || enable.contains(&r.id)) && !disable.contains(&r.id));
        self.disabled.extend(disable.iter().cloned());
        Ok(())
    }

    /// What `keyhound config check` prints.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        match &self.source {
            Some(p) => out.push_str(&format!("config: {}\n", p.display())),
            None => out.push_str("config: none (built-in rules)\n"),
        }
        out.push_str(&format!(
            "rules: {} ({} custom, {} disabled{})\n",
            self.rules.len(),
            self.custom_rules,
            self.disabled.len(),
            if self.disabled.is_empty() {
                String::new()
            } else {
                format!(": {}", self.disabled.join(", "))
            }
        ));
        let o = &self.options;
        out.push_str(&format!(
            "options: max_file_size = {}, min_confidence = {}, redact = {}, exit_code = {}, decode_depth = {}, archive_depth = {}\n",
            o.max_file_size.as_deref().unwrap_or("(default)"),
            o.min_confidence
                .map_or("(none)".to_string(), |c| c.to_string()),
            o.redact.map_or("(off)".to_string(), |n| n.to_string()),
            o.exit_code
                .map_or("(default)".to_string(), |n| n.to_string()),
            o.decode_depth
                .map_or("(default)".to_string(), |n| n.to_string()),
            o.archive_depth
                .map_or("(default)".to_string(), |n| n.to_string()),
        ));
        for (i, a) in self.allowlists.iter().enumerate() {
            out.push_str(&format!("allowlist {}: {}\n", i + 1, a.summary()));
        }
        out
    }

    /// Whether any allowlist suppresses `f`.
    pub fn allows(&self, f: &Finding) -> bool {
        self.allowlists.iter().any(|a| a.allows(f))
    }
}

fn compile_allowlist(
    file: &str,
    n: usize,
    raw: RawAllowlist,
    rules: &[Rule],
) -> Result<Allowlist, String> {
    let at = |what: &str, m: String| format!("{file}: allowlist {n}: {what}: {m}");
    for id in &raw.rules {
        if !rules.iter().any(|r| r.id == *id) {
            return Err(at("rules", format!("no rule '{id}'")));
        }
    }
    let mut globs = GlobSetBuilder::new();
    for (i, p) in raw.paths.iter().enumerate() {
        let glob = Glob::new(p).map_err(|e| at(&format!("paths[{i}]"), e.to_string()))?;
        globs.add(glob);
    }
    let paths = globs.build().map_err(|e| at("paths", e.to_string()))?;
    let regexes = |what: &str, list: &[String]| -> Result<Vec<Regex>, String> {
        list.iter()
            .enumerate()
            .map(|(i, r)| {
                Regex::new(r).map_err(|e| {
                    at(
                        &format!("{what}[{i}]"),
                        format!(
                            "invalid regex: {}",
                            e.to_string()
                                .split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    )
                })
            })
            .collect()
    };
    Ok(Allowlist {
        condition: raw.condition,
        path_regexes: regexes("path_regexes", &raw.path_regexes)?,
        secrets: regexes("secrets", &raw.secrets)?,
        lines: regexes("lines", &raw.lines)?,
        stopwords: raw
            .stopwords
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect(),
        commits: raw.commits,
        path_count: raw.paths.len(),
        paths,
        rules: raw.rules,
        description: raw.description,
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The dotted key at `offset`: the nearest table header above it and the key on its line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string());
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').to_string());
    match (table, key) {
        (Some(t), Some(k)) if !k.is_empty() => Some(format!("{t}.{k}")),
        (None, Some(k)) if !k.is_empty() => Some(k),
        (Some(t), _) => Some(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10Q").is_err());
    }

    #[test]
    fn flags_win_over_the_config_and_the_config_over_defaults() {
        let c = Config::parse(
            "k",
            "[options]\nexit_code = 3\nmax_file_size = \"1K\"\nredact = 2\n",
        )
        .unwrap();
        let s = c.settings(&Overrides::default());
        assert_eq!((s.exit_code, s.max_file_size, s.redact), (3, 1024, Some(2)));
        let s = c.settings(&Overrides {
            exit_code: Some(9),
            max_file_size: Some(5),
            ..Overrides::default()
        });
        assert_eq!((s.exit_code, s.max_file_size, s.redact), (9, 5, Some(2)));
        let s = Config::builtin().settings(&Overrides::default());
        assert_eq!(
            (s.exit_code, s.max_file_size, s.redact),
            (1, DEFAULT_MAX_FILE_SIZE, None)
        );
    }

    #[test]
    fn errors_have_positions_and_keys() {
        let err = Config::parse("k.toml", "[options]\nexit_code = \"three\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("k.toml:2:13: `options.exit_code`:"),
            "{err}"
        );
        let err = Config::parse("k.toml", "[options]\ncolour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("k.toml:2:1: `options.colour`:"), "{err}");
        assert!(err.contains("unknown field"), "{err}");
    }

    #[test]
    fn disable_and_extend() {
        let c = Config::parse("k", "[extend]\ndisable = [\"generic-password\"]\n").unwrap();
        assert!(!c.rules.iter().any(|r| r.id == "generic-password"));
        assert_eq!(c.rules.len(), rules::embedded().len() - 1);
        let c = Config::parse("k", "[extend]\ndefault = false\n").unwrap();
        assert!(c.rules.is_empty());
        let err = Config::parse("k", "[extend]\ndisable = [\"nope\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no rule 'nope'"), "{err}");
    }
}
