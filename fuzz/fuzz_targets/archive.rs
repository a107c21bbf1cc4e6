//! Every archive reader (zip, tar, gzip, bzip2, xz, zstd, nested) on arbitrary bytes: no
//! panic, and what comes out stays within the limits, whatever the input claims.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use keyhound::content::{Content, Provenance};
use keyhound::source::archive::{expand, Format, Limits};
use keyhound::source::{Sink, Skip};
use libfuzzer_sys::fuzz_target;

const MAX_MEMBER: u64 = 1 << 20;
const BUDGET: u64 = 8 << 20;

#[derive(Default)]
struct Count {
    bytes: AtomicU64,
}

impl Sink for Count {
    fn wants(&self, _what: &dyn Fn() -> String, size: u64) -> bool {
        size <= MAX_MEMBER
    }
    fn content(&self, content: Content<'_>) {
        assert!(content.bytes.len() as u64 <= MAX_MEMBER);
        assert!(content.provenance.archive_depth() <= 3);
        let total = self.bytes.fetch_add(content.bytes.len() as u64, Ordering::Relaxed);
        assert!(total <= BUDGET);
    }
    fn skipped(&self, _what: &str, _why: Skip) {}
    fn passed_over(&self, _why: Skip, _n: u64) {}
    fn error(&self, _message: String) {}
    fn fatal(&self, _message: String) {}
    fn note(&self, _message: String) {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let formats = [
        Format::Zip,
        Format::Tar,
        Format::Gzip,
        Format::Bzip2,
        Format::Xz,
        Format::Zstd,
    ];
    let limits = Limits {
        depth: 3,
        max_member: MAX_MEMBER,
        budget: BUDGET,
        ratio: 250,
        max_members: 1000,
    };
    let content = Content {
        provenance: Provenance::File {
            path: "fuzz.archive".into(),
        },
        bytes: rest,
        delta: None,
        reused_by: 0,
    };
    expand(&content, formats[pick as usize % formats.len()], &limits, &Count::default());
});
