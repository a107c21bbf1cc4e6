//! A git delta against a base, both arbitrary: rebuilding it never panics, and when it
//! rebuilds, the matches found from the base's analysis and the delta's pieces are those of
//! scanning the result whole.
#![no_main]

use std::sync::OnceLock;

use keyhound::content::ContentKind;
use keyhound::matcher::Matcher;
use keyhound::source::git::pack::{apply_delta, delta_pieces};
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(keyhound::rules::embedded()))
}

fuzz_target!(|data: &[u8]| {
    // Two bytes give the base's length; the base follows, then the delta.
    let Some((head, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let split = (u16::from_le_bytes(*head) as usize).min(rest.len());
    let (base, delta) = rest.split_at(split);
    let mut target = Vec::new();
    if apply_delta(base, delta, &mut target).is_err() {
        return;
    }
    let pieces = delta_pieces(delta).expect("a delta that applies has pieces");
    let m = matcher();
    for kind in [ContentKind::Source, ContentKind::Config] {
        let analysis = m.analyze(base, kind);
        if let Some(d) = m.analyze_delta(&target, kind, &analysis, &pieces) {
            assert_eq!(m.finish(&d, &target, ""), m.scan(&target, kind));
        }
    }
});
