//! Properties of the matcher on arbitrary input: it never panics, every match lies inside the
//! input, and the secret a finding reports is the text at its location.

use keyhound::content::ContentKind;
use keyhound::finding;
use keyhound::matcher::Matcher;
use proptest::prelude::*;
use std::sync::OnceLock;

fn file(path: &str) -> keyhound::content::Origin {
    keyhound::content::Origin::File { path: path.into() }
}

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(keyhound::rules::embedded()))
}

/// Arbitrary bytes mixed with the pieces secrets are made of, so that rules actually fire.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        Just(b"ghp_".to_vec()),
        Just(b"token = \"".to_vec()),
        Just(b"AKIA".to_vec()),
        Just(b"-----BEGIN RSA PRIVATE KEY-----\n".to_vec()),
        Just(b"password: ".to_vec()),
        Just(b"%40%2F".to_vec()),
        Just(b"\\\"".to_vec()),
        Just(b"eyJ".to_vec()),
        "[A-Za-z0-9+/=_-]{0,80}".prop_map(String::into_bytes),
        "[ \n\t\"':=]{0,4}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scanning_never_panics_and_spans_lie_inside_the_input(data in input()) {
        let m = matcher();
        let matches = m.scan(&data, ContentKind::Source);
        let mut last_end = 0;
        for hit in &matches {
            prop_assert!(hit.start < hit.end && hit.end <= data.len());
            // Sorted and not overlapping.
            prop_assert!(hit.start >= last_end);
            last_end = hit.end;
        }
        let found = finding::locate(m, &file("input"), &data, &matches);
        prop_assert_eq!(found.len(), matches.len());
        for (f, hit) in found.iter().zip(&matches) {
            if hit.decoded.is_none() {
                prop_assert_eq!(&f.secret, &String::from_utf8_lossy(&data[hit.start..hit.end]));
            }
            prop_assert!(f.line >= 1 && f.end_line >= f.line);
        }
    }

    #[test]
    fn utf16_and_plain_scans_agree(text in "[ -~\n]{0,300}") {
        // The same text as UTF-16 finds the same secrets on the same lines.
        let m = matcher();
        let plain = finding::locate(m, &file("t"), text.as_bytes(), &m.scan(text.as_bytes(), ContentKind::Source));
        let utf16: Vec<u8> = std::iter::once(0xFEFFu16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect();
        let decoded = keyhound::content::utf16_text(&utf16).unwrap();
        let again = finding::locate(m, &file("t"), &decoded, &m.scan(&decoded, ContentKind::Source));
        let key = |f: &finding::Finding| (f.rule_id.clone(), f.line, f.column, f.secret.clone());
        prop_assert_eq!(plain.iter().map(key).collect::<Vec<_>>(), again.iter().map(key).collect::<Vec<_>>());
    }
}
