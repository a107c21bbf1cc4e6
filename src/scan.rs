//! Runs the pipeline over a source: content → matcher → findings → filters. Reporters take
//! the outcome from here.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use git2::{Oid, Repository};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::content::{is_binary, Content, ContentKind, Origin};
use crate::filter;
use crate::finding::{self, CommitInfo, Finding, GitOrigin};
use crate::lock;
use crate::matcher::Matcher;
use crate::rules::Confidence;
use crate::source::history::{self, History, HistoryError, Scope, Site};
use crate::source::staged;
use crate::source::worktree::{self, WalkOptions};

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub max_file_size: u64,
    pub walk: WalkOptions,
    /// `-v`: name every file skipped, and why.
    pub verbose: bool,
    /// Draw a progress bar on stderr (the caller decides: a terminal, not `--quiet`).
    pub progress: bool,
}

/// Suppression settings shared by every scan.
#[derive(Clone, Default)]
pub struct Filters {
    /// The config file's allowlists (and minimum confidence).
    pub config: Option<std::sync::Arc<crate::config::Config>>,
    pub min_confidence: Option<crate::rules::Confidence>,
    /// Fingerprints from `.keyhoundignore` files and `--ignore-file`.
    pub ignore: filter::IgnoreFile,
    /// Fingerprints of the baseline (`--baseline`).
    pub baseline: HashSet<String>,
    /// Keep suppressed findings in the report, marked (`--show-suppressed`).
    pub show_suppressed: bool,
}

/// What a scan looked at and skipped: printed in the summary, so nothing is skipped silently.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    /// Files scanned (blobs, for a history scan).
    pub files: u64,
    pub bytes: u64,
    /// Commits walked (history scans).
    pub commits: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
    pub skipped_lfs: u64,
    pub errors: u64,
    pub findings: u64,
    /// Findings set aside by `keyhound:allow` and by the ignore file.
    pub allowed_inline: u64,
    pub ignored: u64,
    pub in_baseline: u64,
    pub allowlisted: u64,
    pub below_min_confidence: u64,
    /// Reported findings by confidence: high, medium, low.
    pub by_confidence: [u64; 3],
    /// What `files` counts: "file" or "blob".
    #[serde(skip)]
    pub unit: &'static str,
    #[serde(skip)]
    pub elapsed: Duration,
}

pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

/// Scans one piece of content: the pipeline's core, shared by every source.
pub fn scan_content(matcher: &Matcher, content: &Content) -> Vec<Finding> {
    detect(matcher, content.origin.display(), &content.bytes)
}

/// Matcher, then findings: located, and the halves of paired credentials merged.
fn detect(matcher: &Matcher, path: &str, data: &[u8]) -> Vec<Finding> {
    let transcoded = crate::content::utf16_text(data);
    let data = transcoded.as_deref().unwrap_or(data);
    let matches = matcher.scan(data, ContentKind::of(path, data));
    if matches.is_empty() {
        return Vec::new();
    }
    finding::pair_up(matcher, finding::locate(matcher, path, data, &matches))
}

#[derive(Default)]
struct Counters {
    /// `-v`: name every file or blob skipped, and why.
    verbose: bool,
    files: AtomicU64,
    bytes: AtomicU64,
    skipped_binary: AtomicU64,
    skipped_too_large: AtomicU64,
    skipped_lfs: AtomicU64,
    errors: AtomicU64,
}

fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    fn verbose(verbose: bool) -> Counters {
        Counters {
            verbose,
            ..Counters::default()
        }
    }

    /// With `-v`, says what was skipped and why.
    fn skipped(&self, what: &str, why: &str) {
        if self.verbose {
            eprintln!("keyhound: skipped {what}: {why}");
        }
    }

    /// Counts `data` as skipped (too large, binary) or scanned; true when it should be scanned.
    fn admit(&self, data: &[u8], max_size: u64, what: &str) -> bool {
        if data.len() as u64 > max_size {
            bump(&self.skipped_too_large, 1);
            self.skipped(what, &format!("{} bytes, over --max-file-size", data.len()));
            false
        } else if is_binary(data) && !crate::content::is_utf16(data) {
            bump(&self.skipped_binary, 1);
            self.skipped(what, "binary");
            false
        } else {
            bump(&self.files, 1);
            bump(&self.bytes, data.len() as u64);
            true
        }
    }
}

/// Scans files and directories. `warn` receives one line per file that could not be read; the
/// scan goes on without it.
pub fn scan_paths(
    matcher: &Matcher,
    roots: &[PathBuf],
    opts: &ScanOptions,
    filters: &Filters,
    warn: &(dyn Fn(&str) + Sync),
) -> Outcome {
    let started = Instant::now();
    let counters = Counters::verbose(opts.verbose);
    let bar = progress_bar(opts.progress, None, "files");
    let found = Mutex::new(Vec::new());
    for root in roots {
        let walk = worktree::walk(root, &opts.walk, &|file| {
            let out = scan_file(matcher, file, opts, &counters, warn);
            if !out.is_empty() {
                lock(&found).extend(out);
            }
            tick(&bar, &counters);
        });
        for e in &walk.errors {
            bump(&counters.errors, 1);
            warn(e);
        }
        for (what, why) in &walk.skipped {
            counters.skipped(what, why);
        }
    }
    bar.finish_and_clear();
    let found = found.into_inner().unwrap_or_else(|p| p.into_inner());
    finish(found, counters, started, "file", 0, filters)
}

fn scan_file(
    matcher: &Matcher,
    file: worktree::FileEntry,
    opts: &ScanOptions,
    counters: &Counters,
    warn: &(dyn Fn(&str) + Sync),
) -> Vec<Finding> {
    if file.size > opts.max_file_size {
        bump(&counters.skipped_too_large, 1);
        counters.skipped(
            &file.display,
            &format!("{} bytes, over --max-file-size", file.size),
        );
        return Vec::new();
    }
    let bytes = match std::fs::read(&file.path) {
        Ok(b) => b,
        Err(e) => {
            bump(&counters.errors, 1);
            warn(&format!("{}: {e}", file.path.display()));
            return Vec::new();
        }
    };
    // The file may have grown since the walk looked at it.
    if !counters.admit(&bytes, opts.max_file_size, &file.display) {
        return Vec::new();
    }
    let content = Content {
        origin: Origin::File {
            display: file.display,
        },
        bytes,
    };
    scan_content(matcher, &content)
}

/// Scans stdin (already read into `content`) like one file.
pub fn scan_one(
    matcher: &Matcher,
    content: &Content,
    max_file_size: u64,
    filters: &Filters,
) -> Outcome {
    let started = Instant::now();
    let counters = Counters::default();
    let mut findings = Vec::new();
    if counters.admit(&content.bytes, max_file_size, content.origin.display()) {
        findings = scan_content(matcher, content);
    }
    finish(findings, counters, started, "file", 0, filters)
}

fn finish(
    findings: Vec<Finding>,
    c: Counters,
    started: Instant,
    unit: &'static str,
    commits: u64,
    filters: &Filters,
) -> Outcome {
    let below = findings
        .iter()
        .filter(|f| filters.min_confidence.is_some_and(|m| f.confidence < m))
        .count() as u64;
    let findings: Vec<Finding> = findings
        .into_iter()
        .filter(|f| filters.min_confidence.is_none_or(|m| f.confidence >= m))
        .collect();
    let allow = |f: &Finding| filters.config.as_ref().is_some_and(|c| c.allows(f));
    let (findings, suppressed) = filter::suppress(
        findings,
        &allow,
        &filters.ignore,
        &filters.baseline,
        filters.show_suppressed,
    );
    let findings = filter::dedup_and_sort(findings);
    let stats = Stats {
        files: c.files.into_inner(),
        bytes: c.bytes.into_inner(),
        commits,
        skipped_binary: c.skipped_binary.into_inner(),
        skipped_too_large: c.skipped_too_large.into_inner(),
        skipped_lfs: c.skipped_lfs.into_inner(),
        errors: c.errors.into_inner(),
        findings: findings.iter().filter(|f| f.suppressed.is_none()).count() as u64,
        allowed_inline: suppressed.inline,
        ignored: suppressed.ignore_file,
        in_baseline: suppressed.baseline,
        allowlisted: suppressed.allowlist,
        below_min_confidence: below,
        by_confidence: [Confidence::High, Confidence::Medium, Confidence::Low].map(|c| {
            findings
                .iter()
                .filter(|f| f.suppressed.is_none() && f.confidence == c)
                .count() as u64
        }),
        elapsed: started.elapsed(),
        unit,
    };
    Outcome { findings, stats }
}

#[derive(Clone)]
pub struct HistoryOptions {
    pub scope: Scope,
    pub unreachable: bool,
    pub recurse_submodules: bool,
    pub max_file_size: u64,
    /// Draw a progress bar on stderr (the caller decides: a terminal, not `--quiet`).
    pub progress: bool,
    /// `-v`: name every blob skipped, and why.
    pub verbose: bool,
    pub filters: Filters,
}

/// Scans the history of the repository at `path`: every unique blob in scope once, each
/// finding attributed to the first commit that put its blob at its path. A secret that many
/// blob versions share is reported once per path, at its earliest commit.
pub fn scan_history(
    matcher: &Matcher,
    path: &Path,
    opts: &HistoryOptions,
    warn: &(dyn Fn(&str) + Sync),
) -> Result<Outcome, HistoryError> {
    let started = Instant::now();
    let counters = Counters::verbose(opts.verbose);
    // libgit2's object cache (256 MiB by default) would keep trees that the walk never asks
    // for again: without it, peak memory on git/git fell from 1.14 GiB to 0.66 GiB.
    git2::opts::enable_caching(false);
    // libgit2 re-hashes every object it reads (SHA-1 with collision detection: a third of the
    // walk's time on git/git). `git cat-file` does not; zlib's checksum still catches damage.
    git2::opts::strict_hash_verification(false);
    let repo = history::open(path)?;
    let mut findings = Vec::new();
    let mut commits = 0;
    scan_repository(
        matcher,
        &repo,
        "",
        &opts.scope,
        opts,
        &counters,
        warn,
        &mut findings,
        &mut commits,
    )?;
    if opts.recurse_submodules {
        // A submodule has its own history, which the superproject's refs and ranges do not
        // name: it is scanned whole.
        for (prefix, sub) in submodules(&repo, warn) {
            let result = scan_repository(
                matcher,
                &sub,
                &prefix,
                &Scope::AllRefs,
                opts,
                &counters,
                warn,
                &mut findings,
                &mut commits,
            );
            if let Err(e) = result {
                bump(&counters.errors, 1);
                warn(&format!("submodule {prefix}: {e}"));
            }
        }
    }
    Ok(finish(
        findings,
        counters,
        started,
        "blob",
        commits,
        &opts.filters,
    ))
}

/// libgit2 maps pack files in windows of 1 GiB, up to 8 GiB (its 64-bit defaults), and
/// unmaps none below that: a history scan touches every page of every pack, so its resident
/// memory grew with the repository (peak RSS on git/git: 658 MiB with the defaults, about
/// 200 MiB with these). Windows of 16 MiB, two per worker, bound it at 3% more time on
/// rust-lang/cargo; with 8 MiB, two per worker, remapping made the scan 30% slower.
///
/// # Safety
/// This writes two of libgit2's process-wide settings without a lock: call it before any
/// thread that may use libgit2 starts (keyhound's `main` calls it first thing).
pub unsafe fn bound_pack_windows(workers: usize) {
    const WINDOW: usize = 16 << 20;
    let limit = WINDOW.saturating_mul(2).saturating_mul(workers.max(2));
    // SAFETY: the caller guarantees that no other thread uses libgit2 yet.
    let set = unsafe {
        git2::opts::set_mwindow_size(WINDOW)
            .and_then(|()| git2::opts::set_mwindow_mapped_limit(limit))
    };
    // Only ever fails on an unknown option: memory would then be unbounded, not wrong.
    debug_assert!(set.is_ok());
}

/// Checked-out submodules, recursively, with their paths in the superproject.
fn submodules(repo: &Repository, warn: &(dyn Fn(&str) + Sync)) -> Vec<(String, Repository)> {
    let mut out = Vec::new();
    for sm in repo.submodules().unwrap_or_default() {
        let prefix = sm.path().to_string_lossy().into_owned();
        match sm.open() {
            Ok(sub) => {
                for (inner, r) in submodules(&sub, warn) {
                    out.push((format!("{prefix}/{inner}"), r));
                }
                out.push((prefix, sub));
            }
            Err(e) => warn(&format!(
                "submodule {prefix}: not checked out, skipped ({})",
                e.message()
            )),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn scan_repository(
    matcher: &Matcher,
    repo: &Repository,
    prefix: &str,
    scope: &Scope,
    opts: &HistoryOptions,
    counters: &Counters,
    warn: &(dyn Fn(&str) + Sync),
    findings: &mut Vec<Finding>,
    commits: &mut u64,
) -> Result<(), HistoryError> {
    let mut hist = history::enumerate(repo, scope)?;
    for w in &hist.warnings {
        bump(&counters.errors, 1);
        warn(w);
    }
    if hist.shallow {
        warn("the repository is a shallow clone: history before its shallow boundary is not there to scan");
    }
    *commits += hist.commits.len() as u64;
    if opts.unreachable {
        // Unreachable means that no ref reaches it, whatever the scope: the history before a
        // range is reachable, though not scanned.
        let all;
        let reachable = if *scope == Scope::AllRefs {
            &hist
        } else {
            all = history::enumerate(repo, &Scope::AllRefs)?;
            &all
        };
        for id in history::unreachable_blobs(repo, reachable)? {
            hist.add_unreachable(id);
        }
    }
    hist.group();
    let bar = progress_bar(opts.progress, Some(hist.blobs_to_scan()), "blobs");

    // Each worker opens its own handle on the repository: git2 handles are not shared
    // between threads.
    let git_dir = repo.path().to_path_buf();
    let hist = &hist;
    let found: Vec<(u32, Finding)> = hist
        .par_by_blob()
        .map_init(
            || Repository::open(&git_dir).ok(),
            |local, sites| {
                let job = BlobJob { hist, sites };
                let out = match local {
                    Some(r) => {
                        scan_blob(matcher, r, &job, prefix, opts.max_file_size, counters, warn)
                    }
                    None => {
                        bump(&counters.errors, 1);
                        warn(&format!(
                            "{}: cannot open the repository",
                            git_dir.display()
                        ));
                        Vec::new()
                    }
                };
                tick(&bar, counters);
                out
            },
        )
        .flatten_iter()
        .collect();
    bar.finish_and_clear();

    // One finding per secret and path: the one from the earliest commit.
    let mut earliest: HashMap<String, (u32, Finding)> = HashMap::new();
    for (commit, f) in found {
        match earliest.get(&f.fingerprint) {
            Some((c, _)) if *c <= commit => {}
            _ => {
                earliest.insert(f.fingerprint.clone(), (commit, f));
            }
        }
    }
    let mut infos: HashMap<u32, Option<CommitInfo>> = HashMap::new();
    for (commit, mut f) in earliest.into_values() {
        let info = infos
            .entry(commit)
            .or_insert_with(|| {
                hist.commits
                    .get(commit as usize)
                    .and_then(|id| commit_info(repo, *id))
            })
            .clone();
        if let Some(git) = f.git.as_mut() {
            git.commit = info;
        }
        findings.push(f);
    }
    Ok(())
}

fn scan_blob(
    matcher: &Matcher,
    repo: &Repository,
    job: &BlobJob,
    prefix: &str,
    max_file_size: u64,
    counters: &Counters,
    warn: &(dyn Fn(&str) + Sync),
) -> Vec<(u32, Finding)> {
    let id = job.id();
    let fail = |what: &str, e: git2::Error| {
        bump(&counters.errors, 1);
        warn(&format!("object {id}: {what}: {}", e.message()));
        Vec::new()
    };
    // The header gives the size without inflating the blob.
    match repo.odb().and_then(|odb| odb.read_header(id)) {
        Ok((size, _)) if size as u64 > max_file_size => {
            bump(&counters.skipped_too_large, 1);
            counters.skipped(
                &blob_label(job, prefix),
                &format!("{size} bytes, over --max-file-size"),
            );
            return Vec::new();
        }
        Ok(_) => {}
        Err(e) => return fail("cannot read", e),
    }
    let blob = match repo.find_blob(id) {
        Ok(b) => b,
        Err(e) => return fail("cannot read", e),
    };
    let data = blob.content();
    if history::is_lfs_pointer(data) {
        bump(&counters.skipped_lfs, 1);
        counters.skipped(&blob_label(job, prefix), "Git LFS pointer");
        return Vec::new();
    }
    if !counters.admit(data, max_file_size, &blob_label(job, prefix)) {
        return Vec::new();
    }
    let transcoded = crate::content::utf16_text(data);
    let data = transcoded.as_deref().unwrap_or(data);
    // One blob, one scan: its first path decides whether it is a lockfile or generated.
    let kind = ContentKind::of(&job.hist.path(&job.sites[0]), data);
    let matches = matcher.scan(data, kind);
    if matches.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for site in job.sites {
        let path = if prefix.is_empty() {
            job.hist.path(site).into_owned()
        } else {
            format!("{prefix}/{}", job.hist.path(site))
        };
        let found = finding::pair_up(matcher, finding::locate(matcher, &path, data, &matches));
        for mut f in found {
            f.git = Some(GitOrigin {
                blob: id.to_string(),
                commit: None,
            });
            out.push((site.commit, f));
        }
    }
    out
}

/// A blob to scan: every (path, first commit) where it appears, earliest first (never empty).
struct BlobJob<'h> {
    hist: &'h History,
    sites: &'h [Site],
}

impl BlobJob<'_> {
    fn id(&self) -> Oid {
        self.hist.blob(&self.sites[0])
    }
}

/// A progress bar on stderr over `len` items, or a hidden one.
fn progress_bar(show: bool, len: Option<usize>, unit: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len.map(|n| n as u64), ProgressDrawTarget::stderr());
    // A tree is scanned as it is walked, so its size is not known ahead: a count, no bar.
    let template = match len {
        Some(_) => format!(
            "{{spinner}} {{elapsed_precise}} [{{wide_bar}}] {{human_pos}}/{{human_len}} {unit}, {{msg}}, {{eta}} left"
        ),
        None => format!("{{spinner}} {{elapsed_precise}} {{human_pos}} {unit}, {{msg}}"),
    };
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// One item done; every 256, the bytes and the rate.
fn tick(bar: &ProgressBar, counters: &Counters) {
    bar.inc(1);
    if bar.position() % 256 == 0 {
        let mb = counters.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let secs = bar.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{mb:.0} MB at {:.0} MB/s", mb / secs));
    }
}

/// How `-v` names a blob: its id and first path.
fn blob_label(job: &BlobJob, prefix: &str) -> String {
    let path = job.hist.path(&job.sites[0]);
    if prefix.is_empty() {
        format!("blob {} ({path})", job.id())
    } else {
        format!("blob {} ({prefix}/{path})", job.id())
    }
}

fn commit_info(repo: &Repository, id: Oid) -> Option<CommitInfo> {
    let commit = repo.find_commit(id).ok()?;
    let author = commit.author();
    let when = author.when();
    Some(CommitInfo {
        commit: id.to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: finding::iso8601(when.seconds(), when.offset_minutes()),
        message: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    })
}

/// Scans what is staged in the repository at `path`, reporting only findings on the lines the
/// next commit adds or changes.
pub fn scan_staged(
    matcher: &Matcher,
    path: &Path,
    max_file_size: u64,
    filters: &Filters,
    verbose: bool,
    warn: &(dyn Fn(&str) + Sync),
) -> Result<Outcome, HistoryError> {
    let started = Instant::now();
    let counters = Counters::verbose(verbose);
    let repo = history::open(path)?;
    let staged = staged::staged_changes(&repo)?;
    for note in &staged.notes {
        warn(note);
    }
    let mut findings = Vec::new();
    for file in &staged.files {
        let blob = match repo.find_blob(file.blob) {
            Ok(b) => b,
            Err(e) => {
                bump(&counters.errors, 1);
                warn(&format!(
                    "{}: cannot read the staged blob {}: {}",
                    file.path,
                    file.blob,
                    e.message()
                ));
                continue;
            }
        };
        let data = blob.content();
        if !counters.admit(data, max_file_size, &file.path) {
            continue;
        }
        let mut found = detect(matcher, &file.path, data);
        found.retain(|f| (f.line..=f.end_line).any(|l| file.added_lines.contains(&l)));
        findings.extend(found);
    }
    Ok(finish(findings, counters, started, "file", 0, filters))
}

/// The top of the work tree holding `path` (where `.keyhoundignore` lives), if any.
pub fn repository_root(path: &Path) -> Option<PathBuf> {
    let repo = history::open(path).ok()?;
    repo.workdir().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake Stripe live key, different for each seed.
    fn fake_key(seed: u64) -> String {
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let body: String = (0..32)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ALNUM[(x >> 33) as usize % ALNUM.len()] as char
            })
            .collect();
        format!("sk_live_{body}")
    }

    /// The fault matrix's "file deleted during the walk", made deterministic: the walk has
    /// found `c.env` (listed, its size read) and it is deleted just before it is read. It is
    /// reported in one line and counted, and the other files are still scanned.
    #[test]
    fn a_file_deleted_during_the_walk_is_reported_and_the_rest_scanned() {
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in ["a.env", "b.env", "c.env"].iter().enumerate() {
            std::fs::write(
                dir.path().join(name),
                format!("STRIPE={}\n", fake_key(i as u64)),
            )
            .unwrap();
        }
        let opts = ScanOptions {
            max_file_size: 1 << 20,
            walk: WalkOptions {
                respect_ignore: false,
                hidden: true,
                threads: 2,
            },
            verbose: false,
            progress: false,
        };
        let matcher = Matcher::new(crate::rules::embedded());
        let counters = Counters::default();
        let warnings = Mutex::new(Vec::new());
        let warn = |w: &str| warnings.lock().unwrap().push(w.to_string());
        let found = Mutex::new(Vec::new());
        let walk = worktree::walk(dir.path(), &opts.walk, &|file| {
            if file.display == "c.env" {
                std::fs::remove_file(&file.path).unwrap();
            }
            let out = scan_file(&matcher, file, &opts, &counters, &warn);
            found.lock().unwrap().extend(out);
        });
        assert!(walk.errors.is_empty(), "{:?}", walk.errors);

        let found = found.into_inner().unwrap();
        let mut paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
        paths.sort();
        assert_eq!(paths, ["a.env", "b.env"]);
        let warnings = warnings.into_inner().unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("c.env") && warnings[0].contains("No such file"),
            "{warnings:?}"
        );
        assert!(!warnings[0].contains('\n'));
        assert_eq!(counters.errors.load(Ordering::Relaxed), 1);
    }
}
