//! Every decoder and validator on arbitrary bytes: base64 / hex / percent / escape runs, UTF-16,
//! and each validator (JWT, PEM, OpenSSH, PGP, BIP-39, Base58Check…).
#![no_main]

use keyhound::matcher::{decode, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for run in decode::find(data) {
        assert!(run.start < run.end && run.end <= data.len());
        for (from, to) in [(0, run.text.len()), (0, run.text.len() / 2)] {
            let (s, e) = run.source_span(from, to);
            assert!(s <= e && e <= data.len(), "{s}..{e} of {}", data.len());
        }
    }
    let _ = keyhound::content::utf16_text(data);
    for v in keyhound::rules::Validator::ALL {
        let verdict = validate::check(v, data);
        if let Some((s, e)) = verdict.span {
            assert!(s <= e && e <= data.len());
        }
    }
});
