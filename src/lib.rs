//! keyhound: a secret-leak scanner.
//!
//! The pipeline, one module per stage:
//! sources (`source`) → content (`content`) → matcher (`matcher`: keywords → regex → entropy →
//! validators) → findings (`finding`) → filters (`filter`) → reporters (`report`).
//! `rules` loads the embedded rule data; `scan` runs the pipeline over a source; `accuracy`
//! scores the rules against the labelled corpus in `fixtures/accuracy`.

pub mod accuracy;
pub mod cli;
pub mod config;
pub mod content;
pub mod filter;
pub mod finding;
pub mod hook;
pub mod matcher;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;

/// Locks `m`; a panic on another thread while holding it leaves data that is still whole
/// (findings, warnings), so a poisoned lock is used as it is.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
