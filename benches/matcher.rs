//! Matcher throughput, single-threaded, on a large body of ordinary source code.
//!
//! `cargo bench --bench matcher` reads the files under `$KEYHOUND_BENCH_CORPUS` (default: the
//! crates.io sources cargo has unpacked on this machine, i.e. plain Rust, C, TOML and Markdown),
//! concatenates them up to `$KEYHOUND_BENCH_MB` (default 256) and scans that buffer in 16 MiB
//! chunks. It prints the matcher's MB/s beside a baseline pass over the same bytes in the same
//! run (memchr counting newlines), so the ratio means something on a noisy shared machine.
//! It then scans the same files one by one, as `keyhound scan` and `keyhound git` do (each
//! file its own buffer, its own keyword windows), which is the figure to compare with the
//! history-speed target: `KEYHOUND_BENCH_CORPUS=path/to/git-checkout cargo bench --bench matcher`.

use std::path::PathBuf;
use std::time::Instant;

use keyhound::content::ContentKind;
use keyhound::matcher::Matcher;
use keyhound::rules;

fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KEYHOUND_BENCH_CORPUS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    home.join("registry").join("src")
}

/// The corpus's text files, in path order, up to `limit` bytes in all.
fn files(limit: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut total = 0;
    let walker = ignore::WalkBuilder::new(corpus_dir())
        .standard_filters(false)
        .build();
    let mut paths: Vec<PathBuf> = walker
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| !e.path().components().any(|c| c.as_os_str() == ".git"))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    for p in paths {
        if let Ok(bytes) = std::fs::read(&p) {
            if keyhound::content::is_binary(&bytes) {
                continue;
            }
            total += bytes.len();
            out.push(bytes);
            if total >= limit {
                break;
            }
        }
    }
    out
}

/// The corpus's text files concatenated, repeated when short of `limit` bytes.
fn load(limit: usize) -> Vec<u8> {
    let mut buf = files(limit).concat();
    // Too small a corpus: repeat it.
    let unique = buf.len();
    while buf.len() < limit && unique > 0 {
        let take = unique.min(limit - buf.len());
        buf.extend_from_within(..take);
    }
    buf
}

fn main() {
    let mb: usize = std::env::var("KEYHOUND_BENCH_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let data = load(mb << 20);
    assert!(
        !data.is_empty(),
        "no corpus under {}",
        corpus_dir().display()
    );
    let chunks: Vec<&[u8]> = data.chunks(16 << 20).collect();

    let matcher = Matcher::new(rules::embedded());
    // Warm up: compile the regexes that this corpus needs.
    let mut findings = 0;
    for c in &chunks {
        findings += matcher.scan(c, ContentKind::Source).len();
    }

    let t = Instant::now();
    let mut lines = 0;
    for c in &chunks {
        lines += memchr::memchr_iter(b'\n', c).count();
    }
    let base = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut again = 0;
    for c in &chunks {
        again += matcher.scan(c, ContentKind::Source).len();
    }
    let scan = t.elapsed().as_secs_f64();
    assert_eq!(findings, again);

    let size = data.len() as f64 / 1e6;
    println!(
        "corpus: {:.0} MB, {} lines, {} findings",
        size, lines, findings
    );
    println!("baseline (memchr newline count): {:.0} MB/s", size / base);
    println!(
        "matcher, 1 thread:               {:.0} MB/s  ({:.1}x the baseline's time)",
        size / scan,
        scan / base
    );

    // The keyword prefilter alone: every rule keyword, all hits.
    let mut keywords: Vec<String> = rules::embedded()
        .into_iter()
        .flat_map(|r| r.keywords)
        .collect();
    keywords.sort();
    keywords.dedup();
    let searcher = keyhound::matcher::keywords::KeywordSearcher::new(&keywords);
    let t = Instant::now();
    let mut hits = Vec::new();
    let mut total_hits = 0;
    for c in &chunks {
        hits.clear();
        searcher.find_all(c, &mut hits);
        total_hits += hits.len();
    }
    let kw = t.elapsed().as_secs_f64();
    println!(
        "keyword prefilter alone:         {:.0} MB/s  ({} keywords, {} hits)",
        size / kw,
        keywords.len(),
        total_hits
    );

    // The same without looking through encodings, to show what decoding costs.
    let mut plain = Matcher::new(rules::embedded());
    plain.decode_depth = 0;
    let t = Instant::now();
    for c in &chunks {
        plain.scan(c, ContentKind::Source);
    }
    let no_decode = t.elapsed().as_secs_f64();
    println!(
        "matcher, --decode-depth 0:       {:.0} MB/s  ({:.1}x the baseline's time)",
        size / no_decode,
        no_decode / base
    );

    // File by file, as the scanner sees them (kinds from the path are not applied here).
    let files = files(mb << 20);
    let size: f64 = files.iter().map(|f| f.len() as f64).sum::<f64>() / 1e6;
    for f in &files {
        matcher.scan(f, ContentKind::Source);
    }
    let t = Instant::now();
    let mut found = 0;
    for f in &files {
        found += matcher.scan(f, ContentKind::Source).len();
    }
    let per_file = t.elapsed().as_secs_f64();
    println!(
        "matcher, file by file:           {:.0} MB/s  ({} files, {:.0} MB, {} findings)",
        size / per_file,
        files.len(),
        size,
        found
    );
}
