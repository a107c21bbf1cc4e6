//! The staged-lines path: a diff of two arbitrary files (split at the first NUL, or halved) as
//! libgit2 computes it for `keyhound staged`, its added line numbers, and the scan filtered to
//! them. Added lines must be lines of the new file.
#![no_main]

use std::sync::OnceLock;

use keyhound::content::ContentKind;
use keyhound::matcher::Matcher;
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(keyhound::rules::embedded()))
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
    let added = keyhound::source::staged::added_lines(&patch);
    let lines = new.split(|&b| b == b'\n').count();
    for &n in &added {
        assert!(n >= 1 && n <= lines, "line {n} of {lines}");
    }
    let m = matcher();
    let matches = m.scan(new, ContentKind::Source);
    let found = keyhound::finding::locate(m, "staged", new, &matches);
    let kept = found
        .iter()
        .filter(|f| (f.line..=f.end_line).any(|l| added.contains(&l)))
        .count();
    assert!(kept <= found.len());
});
