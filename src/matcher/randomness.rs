//! How likely a candidate value is random (a key) rather than written by a person (a word, an
//! identifier, a path). Two tests whose p-values come from statrs's distributions:
//!
//! - character classes: in a random string over the alphabet the value seems to use (lower,
//!   upper, digits, symbols), each class appears in proportion to its size. A chi-square
//!   goodness-of-fit test catches `getUserName` (too few capitals) and `user_name_value` (too
//!   many underscores).
//! - vowels: letters of a random string are vowels 5 times in 26; English-like identifiers are
//!   about 40% vowels. A one-sided binomial test catches `passwordforadmin`.
//!
//! - English bigrams: adjacent letter pairs like `th`, `er`, `in` make up a few percent of a
//!   random string's pairs and a third of `ThisIsMySecretKey`'s. Another binomial test.
//!
//! Fisher's method combines the three p-values (under randomness, -2 Σ ln p is chi-square with
//! 6 degrees of freedom), so weak evidence on each count adds up. Paths and snake_case
//! identifiers are left to the structural filters in `generic.rs`.

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, DiscreteCDF};

/// Below this, a generic candidate is taken for human-written text.
pub const MIN_P_RANDOM: f64 = 1e-3;

pub fn p_random(value: &[u8]) -> f64 {
    let ps = [
        class_balance(value),
        vowel_rate(value),
        english_bigrams(value),
    ];
    if ps.iter().any(|&p| p <= 0.0) {
        return 0.0;
    }
    let stat: f64 = -2.0 * ps.iter().map(|p| p.ln()).sum::<f64>();
    ChiSquared::new(2.0 * ps.len() as f64).map_or(1.0, |d| d.sf(stat))
}

/// The most frequent letter pairs of English text.
const COMMON_BIGRAMS: &[&[u8; 2]] = &[
    b"th", b"he", b"in", b"er", b"an", b"re", b"on", b"at", b"en", b"nd", b"ti", b"es", b"or",
    b"te", b"of", b"ed", b"is", b"it", b"al", b"ar", b"st", b"to", b"nt", b"ng", b"se", b"ha",
    b"as", b"ou", b"io", b"le", b"ve", b"co", b"me", b"de", b"hi", b"ri", b"ro", b"ic", b"ne",
    b"ea", b"ra", b"ce", b"li", b"ch", b"ll", b"be", b"ma", b"si", b"om", b"ur",
];

fn english_bigrams(value: &[u8]) -> f64 {
    let mut pairs = 0u64;
    let mut common = 0u64;
    for w in value.windows(2) {
        if w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic() {
            pairs += 1;
            let pair = [w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase()];
            if COMMON_BIGRAMS.iter().any(|b| **b == pair) {
                common += 1;
            }
        }
    }
    if pairs < 6 || common == 0 {
        return 1.0;
    }
    let p = COMMON_BIGRAMS.len() as f64 / 676.0;
    Binomial::new(p, pairs).map_or(1.0, |d| d.sf(common - 1))
}

pub fn looks_random(value: &[u8]) -> bool {
    p_random(value) >= MIN_P_RANDOM
}

fn class_balance(value: &[u8]) -> f64 {
    let (mut lower, mut upper, mut digit, mut other) = (0u32, 0u32, 0u32, 0u32);
    for &b in value {
        match b {
            b'a'..=b'z' => lower += 1,
            b'A'..=b'Z' => upper += 1,
            b'0'..=b'9' => digit += 1,
            _ => other += 1,
        }
    }
    let n = value.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    // Hex is its own alphabet: 10 digits and 6 letters of one case.
    let hex = value.iter().all(u8::is_ascii_hexdigit) && (lower == 0 || upper == 0);
    let classes: Vec<(u32, f64)> = if hex {
        [(digit, 10.0), (lower + upper, 6.0)]
            .into_iter()
            .filter(|&(count, _)| count > 0)
            .collect()
    } else {
        [(lower, 26.0), (upper, 26.0), (digit, 10.0), (other, 3.0)]
            .into_iter()
            .filter(|&(count, _)| count > 0)
            .collect()
    };
    if classes.len() < 2 {
        // One class only: all digits (a number) or all letters (a word) is rarely a key,
        // unless it is long.
        return if value.len() >= 32 { 1.0 } else { 0.0 };
    }
    let total: f64 = classes.iter().map(|c| c.1).sum();
    let stat: f64 = classes
        .iter()
        .map(|&(count, size)| {
            let expected = n * size / total;
            (f64::from(count) - expected).powi(2) / expected
        })
        .sum();
    let df = (classes.len() - 1) as f64;
    ChiSquared::new(df).map_or(1.0, |d| d.sf(stat))
}

fn vowel_rate(value: &[u8]) -> f64 {
    let letters = value.iter().filter(|b| b.is_ascii_alphabetic()).count() as u64;
    if letters < 8 {
        return 1.0;
    }
    // Hex has only two vowels (a, e) among its six letters.
    let hex = value.iter().all(u8::is_ascii_hexdigit);
    let (vowels, p) = if hex {
        let v = value
            .iter()
            .filter(|b| matches!(b.to_ascii_lowercase(), b'a' | b'e'))
            .count();
        (v as u64, 2.0 / 6.0)
    } else {
        let v = value
            .iter()
            .filter(|b| matches!(b.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u'))
            .count();
        (v as u64, 5.0 / 26.0)
    };
    if vowels == 0 {
        return 1.0;
    }
    // P(X >= vowels) = sf(vowels - 1).
    Binomial::new(p, letters).map_or(1.0, |d| d.sf(vowels - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_pass() {
        for v in [
            "ajAIxNKu8iS2G8NPRVdD53X83RZJzzzz",
            "n9ZhyiA4uoRgnatmUdjAWtGSU8po-799NksnRH9u",
            "Hbn88HxjSI6bWHtP3fS2qHx6",
            "5b7a767c76fb008f86bebb2737f6a6f0fb23c6f5",
            "t+1fjORS/6ilI8ihN5KXSc7Tvo/hBKqFYY/kv5ZJ",
            "q8zr2lw0px4v8m3kd7s1",
        ] {
            assert!(
                looks_random(v.as_bytes()),
                "{v}: {}",
                p_random(v.as_bytes())
            );
        }
    }

    #[test]
    fn human_written_values_fail() {
        for v in [
            "getUserAccountDetails",
            "passwordforadmin",
            "abcdefghijklmnopqrstuvwxyz",
            "1234567890123456",
            "ThisIsMyVerySecretKey",
            "com.example.service.Client",
        ] {
            assert!(
                !looks_random(v.as_bytes()),
                "{v}: {}",
                p_random(v.as_bytes())
            );
        }
    }
}
