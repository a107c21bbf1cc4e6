//! Decoding: secrets hidden one or two encodings deep (a Kubernetes Secret's base64 `data:`, a
//! basic-auth header, a `.dockerconfigjson`, a URL-encoded connection string). Each encoded run
//! that decodes to text is put back into its line in place of the encoded text, so the name
//! beside it (`AWS_SECRET_ACCESS_KEY: <base64>`) still gives the rules their context, and the
//! line is scanned again. Matches inside the decoded text point at the encoded run.

/// Shortest encoded run worth decoding: 16 base64 characters hold 12 bytes.
const MIN_BASE64: usize = 16;
// `find` tests for runs of 16 with four shifts: 1 + 2 + 4 + 8.
const _: () = assert!(MIN_BASE64 == 16);
const MIN_HEX: usize = 32;
/// Longest run decoded: a whole base64 `.dockerconfigjson` or PEM file fits.
const MAX_RUN: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Base64,
    Hex,
    Percent,
    /// Backslash escapes of a string inside a string: `\"` in notebooks, JSON-in-JSON.
    Escaped,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
            Encoding::Percent => "percent",
            Encoding::Escaped => "escaped",
        }
    }
}

/// One encoded run of the input and its text.
#[derive(Debug)]
pub struct Decoded {
    pub encoding: Encoding,
    pub start: usize,
    pub end: usize,
    pub text: Vec<u8>,
    /// For percent-encoding and escapes: the input offset (from `start`) of each text byte.
    pub offsets: Vec<usize>,
}

impl Decoded {
    /// The span of the input that encodes `text[from..to]`: whole quanta for base64, exact for
    /// the others.
    pub fn source_span(&self, from: usize, to: usize) -> (usize, usize) {
        let (s, e) = match self.encoding {
            Encoding::Base64 => (from / 3 * 4, to.div_ceil(3) * 4),
            Encoding::Hex => (from * 2, to * 2),
            Encoding::Percent | Encoding::Escaped => {
                // Past the last text byte: the next one's offset, or the end of the run.
                let after = self
                    .offsets
                    .get(to)
                    .copied()
                    .unwrap_or(self.end - self.start);
                (self.offsets.get(from).copied().unwrap_or(0), after)
            }
        };
        (
            (self.start + s).min(self.end),
            (self.start + e).min(self.end),
        )
    }
}

const B64: u8 = 1;
const URL: u8 = 2;

/// Byte classes: which encodings a byte can belong to.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let alnum = b.is_ascii_alphanumeric();
        if alnum || b == b'+' || b == b'/' || b == b'-' || b == b'_' {
            t[i] |= B64;
        }
        if alnum
            || matches!(
                b,
                b'%' | b'.' | b'_' | b'~' | b'+' | b'-' | b'=' | b'&' | b':' | b'/' | b'@' | b'?'
            )
        {
            t[i] |= URL;
        }
        i += 1;
    }
    t
};

/// Every encoded run in `data` that decodes to text, in order.
pub fn find(data: &[u8]) -> Vec<Decoded> {
    let mut out = percent_runs(data);
    out.extend(escaped_lines(data));
    let n = data.len();
    // 64 bytes at a time: a bit mask of the base64 characters (SSE2 compares), then the runs
    // read off the mask. Most blocks of real text hold no run of
    // MIN_BASE64 and none continuing from the block before; they cost the mask and one test.
    let mut pos = 0;
    let mut open: Option<usize> = None; // start of a run that reaches the end of the last block
    while pos + 64 <= n {
        let block: &[u8; 64] = data[pos..pos + 64].try_into().expect("64 bytes");
        let m = class_mask(block);
        // Bit j of `r` is set when bits j..j+16 of `m` all are (16 = MIN_BASE64).
        let mut r = m;
        r &= r >> 1;
        r &= r >> 2;
        r &= r >> 4;
        r &= r >> 8;
        if r == 0 {
            // No run of MIN_BASE64 inside the block: only a run from the block before can end
            // here long enough, and a run at the end may go on into the next block.
            if let Some(start) = open.take() {
                let end = pos + m.trailing_ones() as usize;
                if end - start >= MIN_BASE64 {
                    decode_run(data, start, end, &mut out);
                }
            }
            let tail = m.leading_ones() as usize;
            if tail > 0 {
                open = Some(pos + 64 - tail);
            }
            pos += 64;
            continue;
        }
        let mut bit = 0u32;
        while bit < 64 {
            match open {
                Some(start) => {
                    let ones = (m >> bit).trailing_ones().min(64 - bit);
                    bit += ones;
                    if bit == 64 {
                        break; // the run goes on into the next block
                    }
                    let end = pos + bit as usize;
                    if end - start >= MIN_BASE64 {
                        decode_run(data, start, end, &mut out);
                    }
                    open = None;
                }
                None => {
                    let rest = m >> bit;
                    if rest == 0 {
                        break;
                    }
                    bit += rest.trailing_zeros();
                    open = Some(pos + bit as usize);
                }
            }
        }
        pos += 64;
    }
    // The tail, and a run still open, byte by byte.
    scan_runs(data, open.unwrap_or(pos), &mut out);
    out.sort_by_key(|d| d.start);
    out
}

/// Bit j set when `block[j]` is a base64 character (`A-Za-z0-9+/-_`).
#[cfg(target_arch = "x86_64")]
fn class_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline, so these instructions always exist; the
    // loads are unaligned loads of 16 bytes from within the 64-byte array.
    unsafe {
        let splat = |b: u8| _mm_set1_epi8(b as i8);
        // x in lo..=hi, unsigned: max(x, lo) == x and min(x, hi) == x.
        let within = |x: __m128i, lo: u8, hi: u8| {
            _mm_and_si128(
                _mm_cmpeq_epi8(_mm_max_epu8(x, splat(lo)), x),
                _mm_cmpeq_epi8(_mm_min_epu8(x, splat(hi)), x),
            )
        };
        let mut mask = 0u64;
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast());
            let letter = within(_mm_or_si128(v, splat(0x20)), b'a', b'z');
            let digit = within(v, b'0', b'9');
            let special = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(v, splat(b'+')),
                    _mm_cmpeq_epi8(v, splat(b'/')),
                ),
                _mm_or_si128(
                    _mm_cmpeq_epi8(v, splat(b'-')),
                    _mm_cmpeq_epi8(v, splat(b'_')),
                ),
            );
            let all = _mm_or_si128(_mm_or_si128(letter, digit), special);
            mask |= u64::from(_mm_movemask_epi8(all) as u16) << (16 * k);
        }
        mask
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn class_mask(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |m, (j, &b)| m | u64::from(CLASS[b as usize] & B64) << j)
}

/// Runs of base64 characters from `from` (which must not be inside a run) to the end.
fn scan_runs(data: &[u8], from: usize, out: &mut Vec<Decoded>) {
    let n = data.len();
    let mut i = from;
    while i < n {
        if CLASS[data[i] as usize] & B64 == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && CLASS[data[i] as usize] & B64 != 0 {
            i += 1;
        }
        if i - start >= MIN_BASE64 {
            decode_run(data, start, i, out);
        }
    }
}

/// Decodes the run `start..end` as hex or base64 if it is text.
fn decode_run(data: &[u8], start: usize, end: usize, out: &mut Vec<Decoded>) {
    let body = &data[start..end];
    if body.len() > MAX_RUN {
        return;
    }
    if body.len() >= MIN_HEX && body.len() % 2 == 0 && body.iter().all(u8::is_ascii_hexdigit) {
        if let Some(d) = hex_decode(body).filter(|d| is_text(d)) {
            out.push(Decoded {
                encoding: Encoding::Hex,
                start,
                end,
                text: d,
                offsets: Vec::new(),
            });
        }
        return;
    }
    let mut padded = end;
    while padded < data.len() && data[padded] == b'=' && padded - end < 2 {
        padded += 1;
    }
    if starts_like_text(body) && !after_data_uri(data, start) {
        if let Some(d) = super::validate::decode_base64(&data[start..padded]).filter(|d| is_text(d))
        {
            out.push(Decoded {
                encoding: Encoding::Base64,
                start,
                end: padded,
                text: d,
                offsets: Vec::new(),
            });
        }
    }
}

/// Percent-encoded runs: found from their `%XX` escapes, which are rare in ordinary text.
fn percent_runs(data: &[u8]) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut covered = 0;
    for pos in memchr::memchr_iter(b'%', data) {
        let escape = data.get(pos + 1..pos + 3);
        if pos < covered || !escape.is_some_and(|e| e.iter().all(u8::is_ascii_hexdigit)) {
            continue;
        }
        // Percent-encoded text also has `.`, `=`, `&`, `:` and the like between escapes.
        let mut from = pos;
        while from > 0 && CLASS[data[from - 1] as usize] & URL != 0 {
            from -= 1;
        }
        let mut to = pos + 1;
        while to < data.len() && CLASS[data[to] as usize] & URL != 0 {
            to += 1;
        }
        covered = to;
        if to - from > MAX_RUN {
            continue;
        }
        if let Some((text, offsets)) = percent_decode(&data[from..to]) {
            out.push(Decoded {
                encoding: Encoding::Percent,
                start: from,
                end: to,
                text,
                offsets,
            });
        }
    }
    out
}

/// Base64 of ASCII text: each 4-character group starts a byte below 0x80, so its first
/// character is one of `A-Za-f` (values 0-31). Checking the first groups rejects nearly every
/// identifier and random token without decoding it.
fn starts_like_text(run: &[u8]) -> bool {
    run.iter()
        .step_by(4)
        .take(4)
        .all(|&c| c.is_ascii_uppercase() || (b'a'..=b'f').contains(&c))
}

/// Embedded images and fonts are binary; skip them without decoding.
fn after_data_uri(data: &[u8], start: usize) -> bool {
    data[..start].ends_with(b";base64,")
}

/// Decoded text is printable ASCII or UTF-8 with ordinary whitespace; binary is not scanned.
fn is_text(d: &[u8]) -> bool {
    d.len() >= 4
        && std::str::from_utf8(d).is_ok_and(|s| {
            s.chars()
                .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        })
}

fn hex_decode(s: &[u8]) -> Option<Vec<u8>> {
    s.chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// A URL part with its `%XX` escapes decoded (a password `p%40ss` is `p@ss`), when it has
/// any and decodes to text.
pub fn unescape_percent(s: &[u8]) -> Option<Vec<u8>> {
    let (out, _, escapes) = decode_percent_escapes(s);
    (escapes > 0 && is_text(&out)).then_some(out)
}

/// Decodes `%XX` escapes (two or more, so a lone `100%25` stays put) into UTF-8 text, with
/// the input offset of each output byte.
fn percent_decode(s: &[u8]) -> Option<(Vec<u8>, Vec<usize>)> {
    let (out, offsets, escapes) = decode_percent_escapes(s);
    (escapes >= 2 && is_text(&out)).then_some((out, offsets))
}

/// `%XX` escapes decoded: the bytes, the input offset of each, and how many escapes there were.
fn decode_percent_escapes(s: &[u8]) -> (Vec<u8>, Vec<usize>, usize) {
    let mut out = Vec::with_capacity(s.len());
    let mut offsets = Vec::with_capacity(s.len());
    let mut escapes = 0;
    let mut i = 0;
    while i < s.len() {
        offsets.push(i);
        if s[i] == b'%' {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(hex_decode)
                .and_then(|h| h.first().copied())
            {
                out.push(b);
                escapes += 1;
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    (out, offsets, escapes)
}

/// Lines holding `\"`: a string written inside another string (a notebook cell, JSON in
/// JSON, a shell command in YAML). The line without its backslash escapes is scanned again.
fn escaped_lines(data: &[u8]) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut covered = 0;
    for pos in memchr::memmem::find_iter(data, b"\\\"") {
        if pos < covered {
            continue;
        }
        let start = memchr::memrchr(b'\n', &data[..pos]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        covered = end;
        if end - start > MAX_RUN {
            continue;
        }
        let line = &data[start..end];
        let mut text = Vec::with_capacity(line.len());
        let mut offsets = Vec::with_capacity(line.len());
        let mut i = 0;
        while i < line.len() {
            offsets.push(i);
            if line[i] == b'\\' && i + 1 < line.len() {
                let unescaped = match line[i + 1] {
                    b'"' | b'\'' | b'\\' | b'/' => Some(line[i + 1]),
                    b'n' | b'r' | b't' => Some(b' '),
                    _ => None,
                };
                if let Some(b) = unescaped {
                    text.push(b);
                    i += 2;
                    continue;
                }
            }
            text.push(line[i]);
            i += 1;
        }
        out.push(Decoded {
            encoding: Encoding::Escaped,
            start,
            end,
            text,
            offsets,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn finds_base64_hex_and_percent_runs() {
        let text = format!(
            // A made-up password: allowed on its line.
            "a: {}\nb: {}\nc: postgres://app:p%40ss%2Fw0rd@db/x\nd: plain_identifier_value_here\n", // keyhound:allow
            b64("user:correct horse"),
            "68656c6c6f2c20776f726c642120746869732069732068657821"
        );
        let found = find(text.as_bytes());
        let kinds: Vec<(Encoding, String)> = found
            .iter()
            .map(|d| (d.encoding, String::from_utf8_lossy(&d.text).into_owned()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Encoding::Base64, "user:correct horse".to_string()),
                (Encoding::Hex, "hello, world! this is hex!".to_string()),
                (
                    Encoding::Percent,
                    "postgres://app:p@ss/w0rd@db/x".to_string()
                ),
            ]
        );
        // The base64 run is the whole value, padding included.
        let b = &found[0];
        assert_eq!(
            &text.as_bytes()[b.start..b.end],
            b64("user:correct horse").as_bytes()
        );
    }

    #[test]
    fn the_block_mask_agrees_with_the_byte_table() {
        let block: [u8; 64] = std::array::from_fn(|i| (i * 37 + 11) as u8);
        for shift in 0..4 {
            let b: [u8; 64] = std::array::from_fn(|i| block[i].wrapping_add(shift * 64));
            let want = b.iter().enumerate().fold(0u64, |m, (j, &x)| {
                m | u64::from(CLASS[x as usize] & B64) << j
            });
            assert_eq!(class_mask(&b), want, "shift {shift}");
        }
    }

    #[test]
    fn runs_across_block_borders_are_found_whole() {
        let enc = b64("token: ghp_only_a_test_of_block_borders_here");
        for pad in [0, 1, 30, 50, 63, 64, 65, 100] {
            let text = format!("{}k = {enc}\n", " ".repeat(pad));
            let found = find(text.as_bytes());
            assert_eq!(found.len(), 1, "pad {pad}");
            assert_eq!(&text[found[0].start..found[0].end], enc, "pad {pad}");
        }
    }

    #[test]
    fn binary_and_data_uris_are_skipped() {
        let png =
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk";
        assert!(find(png.as_bytes()).is_empty());
        // Random base64 decodes to binary.
        assert!(find(b"k = t+1fjORS/6ilI8ihN5KXSc7Tvo/hBKqFYY/kv5ZJ").is_empty());
    }

    #[test]
    fn source_span_maps_decoded_offsets_back() {
        let plain = "prefix ghp_secret suffix";
        let enc = b64(plain);
        let d = &find(enc.as_bytes())[0];
        let (s, e) = d.source_span(7, 17);
        // Whole base64 quanta around the decoded bytes.
        assert!(s <= 7 * 4 / 3 && e >= 17 * 4 / 3, "{s} {e}");
        assert_eq!((s % 4, e % 4), (0, 0));
    }
}
