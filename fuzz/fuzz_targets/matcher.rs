//! The whole matcher (keywords, regexes, decoding two layers deep, validators) and finding
//! placement on arbitrary bytes: no panic, every match inside the input.
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
    let m = matcher();
    for kind in [ContentKind::Source, ContentKind::Lockfile] {
        let matches = m.scan(data, kind);
        for hit in &matches {
            assert!(hit.start < hit.end && hit.end <= data.len());
        }
        let origin = keyhound::content::Origin::File { path: "fuzz".into() };
        let found = keyhound::finding::locate(m, &origin, data, &matches);
        assert_eq!(found.len(), matches.len());
    }
});
