//! Runs the pipeline over a source: content → matcher → findings → filters. Reporters take
//! the outcome from here.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::content::{is_binary, Content, Origin};
use crate::filter;
use crate::finding::{self, Finding};
use crate::matcher::Matcher;
use crate::source::worktree::{self, WalkOptions};

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub max_file_size: u64,
    pub walk: WalkOptions,
}

/// What a scan looked at and skipped: printed in the summary, so nothing is skipped silently.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
    pub errors: u64,
    pub findings: u64,
    #[serde(skip)]
    pub elapsed: Duration,
}

pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

/// Scans one piece of content: the pipeline's core, shared by every source.
pub fn scan_content(matcher: &Matcher, content: &Content) -> Vec<Finding> {
    let matches = matcher.scan(&content.bytes);
    if matches.is_empty() {
        return Vec::new();
    }
    finding::locate(matcher, content.origin.display(), &content.bytes, &matches)
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    skipped_binary: AtomicU64,
    skipped_too_large: AtomicU64,
    errors: AtomicU64,
}

/// Scans files and directories. `warn` receives one line per file that could not be read; the
/// scan goes on without it.
pub fn scan_paths(
    matcher: &Matcher,
    roots: &[PathBuf],
    opts: &ScanOptions,
    warn: &(dyn Fn(&str) + Sync),
) -> Outcome {
    let started = Instant::now();
    let counters = Counters::default();
    let mut findings = Vec::new();
    for root in roots {
        let walk = worktree::walk(root, &opts.walk);
        for e in &walk.errors {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            warn(e);
        }
        let found: Vec<Vec<Finding>> = walk
            .files
            .into_par_iter()
            .map(|file| {
                if file.size > opts.max_file_size {
                    counters.skipped_too_large.fetch_add(1, Ordering::Relaxed);
                    return Vec::new();
                }
                let bytes = match std::fs::read(&file.path) {
                    Ok(b) => b,
                    Err(e) => {
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                        warn(&format!("{}: {e}", file.path.display()));
                        return Vec::new();
                    }
                };
                // The file may have grown since the walk looked at it.
                if bytes.len() as u64 > opts.max_file_size {
                    counters.skipped_too_large.fetch_add(1, Ordering::Relaxed);
                    return Vec::new();
                }
                if is_binary(&bytes) {
                    counters.skipped_binary.fetch_add(1, Ordering::Relaxed);
                    return Vec::new();
                }
                counters.files.fetch_add(1, Ordering::Relaxed);
                counters
                    .bytes
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                let content = Content {
                    origin: Origin::File {
                        path: file.path,
                        display: file.display,
                    },
                    bytes,
                };
                scan_content(matcher, &content)
            })
            .collect();
        findings.extend(found.into_iter().flatten());
    }
    finish(findings, counters, started)
}

/// Scans stdin (already read into `content`) like one file.
pub fn scan_one(matcher: &Matcher, content: &Content, max_file_size: u64) -> Outcome {
    let started = Instant::now();
    let counters = Counters::default();
    let mut findings = Vec::new();
    let len = content.bytes.len() as u64;
    if len > max_file_size {
        counters.skipped_too_large.fetch_add(1, Ordering::Relaxed);
    } else if is_binary(&content.bytes) {
        counters.skipped_binary.fetch_add(1, Ordering::Relaxed);
    } else {
        counters.files.fetch_add(1, Ordering::Relaxed);
        counters.bytes.fetch_add(len, Ordering::Relaxed);
        findings = scan_content(matcher, content);
    }
    finish(findings, counters, started)
}

fn finish(findings: Vec<Finding>, c: Counters, started: Instant) -> Outcome {
    let findings = filter::dedup_and_sort(findings);
    let stats = Stats {
        files: c.files.into_inner(),
        bytes: c.bytes.into_inner(),
        skipped_binary: c.skipped_binary.into_inner(),
        skipped_too_large: c.skipped_too_large.into_inner(),
        errors: c.errors.into_inner(),
        findings: findings.len() as u64,
        elapsed: started.elapsed(),
    };
    Outcome { findings, stats }
}
