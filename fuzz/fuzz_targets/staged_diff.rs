//! The staged-lines path: a diff of two arbitrary files (split at the first NUL, or halved) as
//! libgit2 computes it for `keyhound staged`, its added line numbers, and the new file through
//! the scanner's own pipeline as staged content. Added lines must be lines of the new file,
//! and every finding must touch one.
#![no_main]

use std::sync::OnceLock;

use keyhound::content::{Content, ObjectId, Provenance};
use keyhound::diag::Collected;
use keyhound::filter::Filter;
use keyhound::matcher::Matcher;
use keyhound::scanner::{self, ScanOptions};
use keyhound::source::{Sink, Source, SourceError};
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(keyhound::rules::embedded()))
}

/// One staged file, as the staged source hands it to the scanner.
struct OneStagedFile<'a> {
    bytes: &'a [u8],
    added: std::collections::BTreeSet<usize>,
}

impl Source for OneStagedFile<'_> {
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
        sink.content(Content {
            provenance: Provenance::Staged {
                path: "staged".into(),
                blob: ObjectId([0; 20]),
                added_lines: self.added.clone(),
            },
            bytes: self.bytes,
            delta: None,
            reused_by: 0,
        });
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let cut = data
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(data.len() / 2);
    let (old, new) = (&data[..cut], &data[(cut + 1).min(data.len())..]);
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(0).force_text(true);
    let Ok(patch) = git2::Patch::from_buffers(old, None, new, None, Some(&mut opts)) else {
        return;
    };
    let added = keyhound::source::git::staged::added_lines(&patch);
    let lines = new.split(|&b| b == b'\n').count();
    for &n in &added {
        assert!(n >= 1 && n <= lines, "line {n} of {lines}");
    }
    let source = OneStagedFile { bytes: new, added: added.clone() };
    let opts = ScanOptions {
        max_file_size: u64::MAX,
        fail_too_large: false,
        progress: false,
        deltas: false,
        archive_depth: 0,
        cache: None,
    };
    let diag = Collected::default();
    let outcome = scanner::run(&source, matcher(), &opts, &Filter::default(), &diag)
        .expect("an in-memory source cannot fail");
    for f in &outcome.findings {
        assert!((f.line..=f.end_line).any(|l| added.contains(&l)));
    }
});
