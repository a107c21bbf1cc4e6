//! The image reader on arbitrary bytes as a tar: no panic, and a tar read as it streams (out
//! of a compressed image) names the same parts as the tar seeked through.
#![no_main]

use std::io::Cursor;

use keyhound::source::image::{names, names_streamed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let seeked = names(Cursor::new(data));
    let streamed = names_streamed(data);
    assert_eq!(seeked, streamed);
    if let Some(n) = seeked {
        assert!(n.images > 0);
        assert!(n.parts.len() <= n.images + n.layers);
    }
});
