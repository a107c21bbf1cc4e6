//! keyhound: a secret-leak scanner.
//!
//! The pipeline, one module per stage:
//! sources (`source`: work tree, stdin, git history, staged index) → `content` (bytes with
//! their provenance) → `scanner` (runs the `matcher`: keywords → regex → entropy/randomness →
//! validators) → `finding`s → the `filter` stage (inline allow, ignore file, allowlists,
//! baseline, confidence, dedup, redaction) → reporters (`report`), which show secrets only
//! through the one masked view (`mask`).
//!
//! Beside the pipeline: `rules` loads the embedded rule data, `config` reads `.keyhound.toml`
//! and resolves settings, `diag` carries warnings to the user, `accuracy` scores the rules
//! against the labelled corpus, and `hook` installs the git pre-commit hook.

pub mod accuracy;
pub mod cache;
pub mod config;
pub mod content;
pub mod diag;
pub mod filter;
pub mod finding;
pub mod gitleaks;
pub mod hook;
pub mod mask;
pub mod matcher;
pub mod merge;
pub mod report;
pub mod rules;
pub mod scanner;
pub mod source;
pub mod time;
pub mod verify;

/// Locks `m`; a panic on another thread while holding it leaves data that is still whole
/// (findings, warnings), so a poisoned lock is used as it is.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
