//! Rule files and `.keyhound.toml` from arbitrary text: an error or a value, never a panic; a
//! rule set that loads can be checked and compiled into a matcher that scans.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = keyhound::rules::parse_rules("fuzz.toml", text) {
        let failures = keyhound::matcher::examples::check(&rules);
        let _ = failures.len();
    }
    if let Ok(config) = keyhound::config::Config::parse("fuzz.toml", text) {
        let m = keyhound::matcher::Matcher::new(config.rules.clone());
        let _ = m.scan(text.as_bytes(), keyhound::content::ContentKind::Source);
    }
});
