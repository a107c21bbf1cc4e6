//! The scanner: one pipeline for every source. A source hands it `Content`; it runs the
//! matcher, places the matches at every origin of that content (`finding`), and once the
//! source is done, passes the findings through the filter stage. Reporters take the outcome.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cache::{self, Cache};
use crate::content::{is_binary, is_utf16, utf16_text, Content, ContentKind, ObjectId, Provenance};
use crate::diag::Diagnostics;
use crate::filter::Filter;
use crate::finding::{self, Finding};
use crate::lock;
use crate::matcher::{Analysis, Matcher};
use crate::report::Stats;
use crate::rules::Confidence;
use crate::source::{archive, Sink, Skip, Source, SourceError};

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub max_file_size: u64,
    /// An item over `max_file_size` fails the run instead of being skipped: a staged file too
    /// large to scan is not a file known to be clean.
    pub fail_too_large: bool,
    /// Draw a progress bar on stderr (the caller decides: a terminal, not `--quiet`).
    pub progress: bool,
    /// Scan a blob stored as a delta only where it differs from its base (`--no-delta` turns
    /// this off: every blob is then scanned whole).
    pub deltas: bool,
    /// How many archives deep to open (`--archive-depth`; 0: archives are binary files).
    pub archive_depth: usize,
    /// What earlier scans found, so that clean content is not read or matched again.
    pub cache: Option<Arc<Cache>>,
}

/// How much memory the analyses kept for deltas may take. Bases come shortly before their
/// deltas in a pack, so recent blobs are the ones asked for.
const MEMO_BYTES: usize = 32 << 20;

/// The findings that passed the filter stage, and what the scan looked at and set aside.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

/// Runs `source` through the whole pipeline: content → matcher → findings → filter.
pub fn run(
    source: &dyn Source,
    matcher: &Matcher,
    opts: &ScanOptions,
    filter: &Filter,
    diag: &dyn Diagnostics,
) -> Result<Outcome, SourceError> {
    let started = Instant::now();
    let scanner = Scanner::new(matcher, opts, diag, source.unit().name());
    source.scan(&scanner)?;
    scanner.bar.finish_and_clear();
    if let Some(cache) = &opts.cache {
        match cache.save() {
            Ok(size) => diag.detail(&format!("cache: {} ({size} bytes)", cache.path().display())),
            Err(e) => diag.warn(&format!(
                "{}: cannot write the cache: {e}",
                cache.path().display()
            )),
        }
    }
    for problem in matcher.problems() {
        diag.warn(&problem);
    }
    let counts = scanner.counts;
    let found = scanner
        .found
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let (mut findings, suppressed) = filter.apply(found);
    // Who wrote each commit: looked up only for what is reported, once per commit.
    let mut authors = std::collections::HashMap::new();
    for f in &mut findings {
        if let Some(c) = f.origin.commit_mut() {
            c.info = authors
                .entry(c.id)
                .or_insert_with(|| source.describe_commit(&c.id))
                .clone();
        }
    }
    let mut short = |id: &ObjectId| {
        let date = authors
            .entry(*id)
            .or_insert_with(|| source.describe_commit(id))
            .as_ref()
            .map(|c| c.date.chars().take(10).collect::<String>())
            .unwrap_or_default();
        format!("{} {date}", &id.to_string()[..7])
            .trim_end()
            .to_string()
    };
    let span = source
        .span()
        .map(|(first, last)| (short(&first), short(&last)));
    let reported = || findings.iter().filter(|f| f.suppressed.is_none());
    let mut stats = Stats {
        files: counts.files.into_inner(),
        bytes: counts.bytes.into_inner(),
        matched_bytes: counts.matched.into_inner(),
        commits: source.commits(),
        span,
        skipped_binary: counts.binary.into_inner(),
        skipped_too_large: counts.too_large.into_inner(),
        skipped_lfs: counts.lfs.into_inner(),
        ignored: counts.ignored.into_inner(),
        archives: counts.archives.into_inner(),
        members: counts.members.into_inner(),
        images: counts.images.into_inner(),
        layers: counts.layers.into_inner(),
        metadata: counts.metadata.into_inner(),
        skipped_encrypted: counts.encrypted.into_inner(),
        archive_limits: counts.archive_limits.into_inner(),
        too_deep: counts.too_deep.into_inner(),
        skipped_special: counts.special.into_inner(),
        errors: counts.errors.into_inner(),
        cached: counts.cached.into_inner(),
        fatal: counts.fatal.into_inner(),
        findings: reported().count() as u64,
        by_confidence: [Confidence::High, Confidence::Medium, Confidence::Low]
            .map(|c| reported().filter(|f| f.confidence == c).count() as u64),
        unit: source.unit(),
        elapsed: started.elapsed(),
        ..Stats::default()
    };
    stats.add_filtered(&suppressed);
    if filter.verify.is_some() {
        stats.verified = Some(crate::verify::counts(reported()));
    }
    Ok(Outcome { findings, stats })
}

#[derive(Default)]
struct Counts {
    files: AtomicU64,
    bytes: AtomicU64,
    matched: AtomicU64,
    archives: AtomicU64,
    members: AtomicU64,
    images: AtomicU64,
    layers: AtomicU64,
    metadata: AtomicU64,
    encrypted: AtomicU64,
    archive_limits: AtomicU64,
    too_deep: AtomicU64,
    binary: AtomicU64,
    too_large: AtomicU64,
    lfs: AtomicU64,
    ignored: AtomicU64,
    special: AtomicU64,
    errors: AtomicU64,
    fatal: AtomicU64,
    cached: AtomicU64,
}

fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// The sources' sink: counts what it is given, scans it, keeps the findings.
struct Scanner<'a> {
    matcher: &'a Matcher,
    opts: &'a ScanOptions,
    diag: &'a dyn Diagnostics,
    counts: Counts,
    found: Mutex<Vec<Finding>>,
    memo: Mutex<Memo>,
    bar: ProgressBar,
    /// What the bar counts: files or blobs.
    unit: &'static str,
}

impl<'a> Scanner<'a> {
    fn new(
        matcher: &'a Matcher,
        opts: &'a ScanOptions,
        diag: &'a dyn Diagnostics,
        unit: &'static str,
    ) -> Self {
        Scanner {
            matcher,
            opts,
            diag,
            counts: Counts::default(),
            found: Mutex::new(Vec::new()),
            memo: Mutex::new(Memo::default()),
            bar: progress_bar(opts.progress, unit),
            unit,
        }
    }

    /// Matcher, then findings at every origin of the content, in scope; what the matcher found
    /// goes to the cache.
    fn detect(&self, content: &Content, cache_id: Option<cache::Id>) -> Vec<Finding> {
        let transcoded = utf16_text(content.bytes);
        let data = transcoded.as_deref().unwrap_or(content.bytes);
        // One content, one scan: its (first) path decides whether it is a lockfile, generated
        // or a test.
        let provenance = &content.provenance;
        let kind = ContentKind::of(provenance.path(), data);
        let analysis = self.analyze(content, data, kind, transcoded.is_none());
        bump(&self.counts.matched, analysis.matched_bytes);
        let matches = self.matcher.finish(&analysis, data, provenance.path());
        if let (Some(cache), Some(id)) = (&self.opts.cache, cache_id) {
            let spans = matches
                .iter()
                .map(|m| {
                    let rule = self.matcher.rule(m.rule).id.clone();
                    (rule, m.start as u32, m.end as u32)
                })
                .collect();
            cache.record(id, provenance.path(), spans);
        }
        if let (true, Provenance::Blob { id, .. }) = (self.opts.deltas, provenance) {
            if content.reused_by > 0 && transcoded.is_none() {
                lock(&self.memo).keep(*id, analysis, content.reused_by);
            }
        }
        if matches.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for origin in provenance.origins() {
            let found = finding::locate(self.matcher, &origin, data, &matches);
            out.extend(
                finding::pair_up(self.matcher, found)
                    .into_iter()
                    .filter(|f| provenance.in_scope(f.line, f.end_line)),
            );
        }
        out
    }

    /// The matcher's analysis of `data`: from its delta base's when the source says how the
    /// content is made from another blob and that blob's analysis is still at hand, else from
    /// a scan of it whole. (A transcoded text is not the bytes the delta describes.)
    fn analyze(&self, content: &Content, data: &[u8], kind: ContentKind, raw: bool) -> Analysis {
        if let (true, true, Some(delta)) = (self.opts.deltas, raw, &content.delta) {
            let base = lock(&self.memo).take(&delta.base);
            if let Some(base) = base {
                if let Some(a) = self.matcher.analyze_delta(data, kind, &base, &delta.pieces) {
                    return a;
                }
            }
        }
        self.matcher.analyze(data, kind)
    }

    /// The cache's id for `content`, when it is content the cache keeps: a blob or a file
    /// (not an archive's member: archives are always opened), a commit message.
    fn cache_id(&self, content: &Content) -> Option<cache::Id> {
        self.opts.cache.as_ref()?;
        match &content.provenance {
            Provenance::Blob { id, .. } => Some(id.0),
            Provenance::File { .. } => Some(cache::content_id(content.bytes)),
            Provenance::Metadata {
                shown,
                commit: Some(c),
            } if shown.contains("<commit ") => Some(c.id.0),
            _ => None,
        }
    }

    fn archive_limits(&self) -> archive::Limits {
        archive::Limits::new(self.opts.archive_depth, self.opts.max_file_size)
    }

    fn tick(&self) {
        self.bar.inc(1);
        if self.bar.position() % 256 == 0 {
            self.tell();
        }
    }

    /// The bar's message: bytes, rate, and what archives and images held.
    fn tell(&self) {
        if self.bar.is_hidden() {
            return;
        }
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mb = count(&self.counts.bytes) as f64 / 1e6;
        let secs = self.bar.elapsed().as_secs_f64().max(1e-3);
        let mut message = format!("{mb:.0} MB at {:.0} MB/s", mb / secs);
        let members = count(&self.counts.members);
        if members > 0 {
            message += &format!(", {members} archive members");
        }
        let layers = count(&self.counts.layers);
        if layers > 0 {
            let images = count(&self.counts.images);
            message += &format!(" ({images} images, {layers} layers)");
        }
        self.bar.set_message(message);
    }

    fn too_large(&self, what: &dyn Fn() -> String, size: u64) {
        if self.opts.fail_too_large {
            // Counted as too large, not unreadable, and the run fails.
            bump(&self.counts.too_large, 1);
            bump(&self.counts.fatal, 1);
            self.diag.warn(&format!(
                "{}: {size} bytes, over --max-file-size: not scanned, so not known to be clean \
                 (raise --max-file-size, or pass --allow-too-large to let it through)",
                what()
            ));
        } else {
            self.skipped(&what(), Skip::TooLarge(size));
        }
    }
}

impl Sink for Scanner<'_> {
    fn wants(&self, what: &dyn Fn() -> String, size: u64) -> bool {
        if size > self.opts.max_file_size {
            self.too_large(what, size);
            self.tick();
            return false;
        }
        true
    }

    fn content(&self, content: Content<'_>) {
        let data = content.bytes;
        let what = || content.provenance.label();
        let depth = content.provenance.archive_depth();
        if self.opts.archive_depth > 0 {
            // Archives are opened here, for every source (and an OCI layout's layers); nested
            // ones by the archive reader.
            if let Some(format) = archive::sniff(data) {
                if depth >= self.opts.archive_depth {
                    return self.skipped(&what(), Skip::TooDeep);
                }
                archive::expand(&content, format, &self.archive_limits(), self);
                return self.tick();
            }
        }
        let cache_id = self.cache_id(&content);
        if let (Some(cache), Some(id)) = (&self.opts.cache, cache_id) {
            // A file is read to know its content; a blob or message never gets here when clean.
            if matches!(content.provenance, Provenance::File { .. })
                && cache.is_clean(&id, content.provenance.path())
            {
                bump(&self.counts.cached, 1);
                return self.tick();
            }
        }
        // The file may have grown since its size was read.
        if data.len() as u64 > self.opts.max_file_size {
            self.too_large(&what, data.len() as u64);
        } else if is_binary(data) && !is_utf16(data) {
            if let (Some(cache), Some(id)) = (&self.opts.cache, cache_id) {
                cache.record(id, content.provenance.path(), Vec::new());
            }
            self.skipped(&what(), Skip::Binary);
        } else {
            if matches!(content.provenance, Provenance::Metadata { .. }) {
                bump(&self.counts.metadata, 1);
            } else {
                bump(&self.counts.files, 1);
                bump(&self.counts.bytes, data.len() as u64);
            }
            if depth > 0 {
                // One archive can hold many members: the bar says so as they come.
                if self.counts.members.fetch_add(1, Ordering::Relaxed) % 256 == 255 {
                    self.tell();
                }
            }
            let found = self.detect(&content, cache_id);
            if !found.is_empty() {
                lock(&self.found).extend(found);
            }
        }
        // The bar counts what the source delivered, not archive members.
        if depth == 0 {
            self.tick();
        }
    }

    fn skipped(&self, what: &str, why: Skip) {
        let counter = match why {
            Skip::TooLarge(_) => &self.counts.too_large,
            Skip::Binary => &self.counts.binary,
            Skip::LfsPointer => &self.counts.lfs,
            Skip::Ignored => &self.counts.ignored,
            Skip::Symlink | Skip::NotARegularFile => &self.counts.special,
            Skip::Encrypted => &self.counts.encrypted,
            Skip::ArchiveLimit => &self.counts.archive_limits,
            Skip::TooDeep => &self.counts.too_deep,
        };
        bump(counter, 1);
        if self.diag.verbose() {
            self.diag
                .detail(&format!("skipped {what}: {}", why.reason()));
        }
    }

    fn passed_over(&self, why: Skip, n: u64) {
        if why == Skip::Ignored {
            bump(&self.counts.ignored, n);
        }
    }

    fn error(&self, message: String) {
        bump(&self.counts.errors, 1);
        self.diag.warn(&message);
    }

    fn fatal(&self, message: String) {
        bump(&self.counts.errors, 1);
        bump(&self.counts.fatal, 1);
        self.diag.warn(&message);
    }

    fn note(&self, message: String) {
        self.diag.warn(&message);
    }

    fn known_clean(&self, id: &ObjectId, path: &dyn Fn() -> String) -> bool {
        let clean = self
            .opts
            .cache
            .as_ref()
            .is_some_and(|c| c.is_clean(&id.0, &path()));
        if clean {
            bump(&self.counts.cached, 1);
            self.tick();
        }
        clean
    }

    fn opened_archive(&self) {
        bump(&self.counts.archives, 1);
    }

    fn streams_archives_over(&self) -> Option<u64> {
        (self.opts.archive_depth > 0).then_some(self.opts.max_file_size)
    }

    fn archive_file(
        &self,
        provenance: Provenance,
        file: std::fs::File,
        format: archive::Format,
        size: u64,
    ) {
        if provenance.archive_depth() >= self.opts.archive_depth {
            return self.skipped(&provenance.label(), Skip::TooDeep);
        }
        archive::expand_file(provenance, file, size, format, &self.archive_limits(), self);
        self.tick();
    }

    fn opened_image(&self, images: u64, layers: u64) {
        bump(&self.counts.images, images);
        bump(&self.counts.layers, layers);
    }

    fn expect(&self, items: u64) {
        self.bar.set_length(items);
        self.bar.set_style(style(true, self.unit));
    }
}

/// A progress bar on stderr, or a hidden one. A tree is scanned as it is walked, so its size
/// is not known ahead: a count and a rate until a source says how many items are coming.
fn progress_bar(show: bool, unit: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(style(false, unit));
    bar
}

fn style(bounded: bool, unit: &str) -> ProgressStyle {
    let template = if bounded {
        format!("{{spinner}} {{elapsed_precise}} [{{wide_bar}}] {{human_pos}}/{{human_len}} {unit}s, {{msg}}, {{eta}} left")
    } else {
        format!("{{spinner}} {{elapsed_precise}} {{human_pos}} {unit}s, {{msg}}")
    };
    ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Analyses of blobs that deltas still to come are made against, each kept until its last
/// delta takes it, within `MEMO_BYTES` (oldest first out: a delta whose base is gone, or
/// still being scanned on another thread, is scanned whole).
#[derive(Default)]
struct Memo {
    by_id: HashMap<ObjectId, (Arc<Analysis>, u32)>,
    order: VecDeque<ObjectId>,
    bytes: usize,
}

impl Memo {
    /// The analysis of blob `id`, for one of the deltas against it.
    fn take(&mut self, id: &ObjectId) -> Option<Arc<Analysis>> {
        let (analysis, uses) = self.by_id.get_mut(id)?;
        let analysis = analysis.clone();
        *uses -= 1;
        if *uses == 0 {
            self.by_id.remove(id);
            self.bytes -= analysis.footprint();
        }
        Some(analysis)
    }

    fn keep(&mut self, id: ObjectId, mut analysis: Analysis, uses: u32) {
        analysis.shrink();
        let size = analysis.footprint();
        if size > MEMO_BYTES / 8 || self.by_id.contains_key(&id) {
            return;
        }
        self.by_id.insert(id, (Arc::new(analysis), uses));
        self.order.push_back(id);
        self.bytes += size;
        while self.bytes > MEMO_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some((a, _)) = self.by_id.remove(&old) {
                self.bytes -= a.footprint();
            }
        }
        // Ids of analyses already taken by all their deltas.
        if self.order.len() > 2 * self.by_id.len() + 64 {
            let by_id = &self.by_id;
            self.order.retain(|id| by_id.contains_key(id));
        }
    }
}
