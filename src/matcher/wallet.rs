//! Wallet secrets, validated offline by their own checksums: a BIP-39 phrase's checksum bits,
//! Base58Check's double SHA-256, the secp256k1 curve order. A random run of wordlist words or
//! a mistyped key fails these checks and is not reported as valid.

use sha2::{Digest, Sha256};

#[cfg(test)]
use super::validate::Validation;
use super::validate::Verdict;

/// The BIP-39 English wordlist (bitcoin/bips, bip-0039/english.txt), sorted.
const WORDLIST: &str = include_str!("bip39-english.txt");

fn words() -> &'static [&'static str] {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| WORDLIST.lines().collect())
}

fn valid(detail: String) -> Verdict {
    Verdict::valid(Some(detail))
}

fn invalid(reason: &str) -> Verdict {
    Verdict::invalid(reason)
}

/// The entropy bytes and the checksum bits that wordlist indexes (11 bits each) spell.
fn entropy_and_checksum(indexes: &[u16]) -> (Vec<u8>, Vec<bool>) {
    let mut bits = Vec::with_capacity(indexes.len() * 11);
    for &i in indexes {
        bits.extend((0..11).rev().map(|b| (i >> b) & 1 == 1));
    }
    let entropy_bits = bits.len() - bits.len() / 33;
    let entropy = bits[..entropy_bits]
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |acc, &b| (acc << 1) | u8::from(b)))
        .collect();
    (entropy, bits[entropy_bits..].to_vec())
}

/// Whether wordlist indexes carry a correct BIP-39 checksum: the first bits of the entropy's
/// SHA-256.
fn bip39_checksum_ok(indexes: &[u16]) -> bool {
    let (entropy, checksum) = entropy_and_checksum(indexes);
    let hash = Sha256::digest(&entropy);
    checksum
        .iter()
        .enumerate()
        .all(|(i, &bit)| ((hash[i / 8] >> (7 - i % 8)) & 1 == 1) == bit)
}

/// BIP-39's own test vectors (entropy 00…, 7f…, 80…, ff…) are in every wallet library's tests:
/// entropy with fewer than four distinct bytes is no wallet.
fn patterned_entropy(indexes: &[u16]) -> bool {
    let (entropy, _) = entropy_and_checksum(indexes);
    let mut seen = [false; 256];
    entropy.iter().for_each(|&b| seen[b as usize] = true);
    seen.iter().filter(|&&s| s).count() < 4
}

/// Published test vectors of BIP-32 and the Bitcoin wiki: public, so not leaks.
const PUBLISHED_KEYS: &[&str] = &[
    "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
    "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U",
    "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ",
];

/// A BIP-39 mnemonic: 12, 15, 18, 21 or 24 wordlist words whose last bits are the SHA-256
/// checksum of the rest. The match may hold surrounding words; the longest valid phrase wins,
/// and the verdict narrows the span to it.
pub fn bip39(secret: &[u8]) -> Verdict {
    let list = words();
    let mut tokens: Vec<(usize, usize, Option<u16>)> = Vec::new();
    let mut i = 0;
    while i < secret.len() {
        if secret[i].is_ascii_lowercase() {
            let start = i;
            while i < secret.len() && secret[i].is_ascii_lowercase() {
                i += 1;
            }
            let word = std::str::from_utf8(&secret[start..i]).unwrap_or("");
            let index = list.binary_search(&word).ok().map(|x| x as u16);
            tokens.push((start, i, index));
        } else {
            i += 1;
        }
    }
    // Maximal runs of wordlist words. A run is tested whole when it has a phrase's length,
    // else only its last words when up to three label words ("seed phrase") precede them:
    // testing every window of a long word list would let random lists pass by chance.
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].2.is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i < tokens.len() && tokens[i].2.is_some() {
            i += 1;
        }
        let run = &tokens[start..i];
        for len in [24, 21, 18, 15, 12] {
            if run.len() < len || run.len() - len > 3 {
                continue;
            }
            let phrase = &run[run.len() - len..];
            let indexes: Vec<u16> = phrase.iter().filter_map(|t| t.2).collect();
            // Twelve copies of one word can pass the checksum; it is no wallet.
            if indexes.iter().all(|&x| x == indexes[0]) {
                continue;
            }
            if bip39_checksum_ok(&indexes) {
                if patterned_entropy(&indexes) {
                    return invalid("a published test vector: its entropy is a pattern");
                }
                let mut v = valid(format!("{len}-word BIP-39 mnemonic, checksum verified"));
                v.span = Some((phrase[0].0, phrase[len - 1].1));
                return v;
            }
        }
    }
    invalid("no run of 12-24 wordlist words with a valid BIP-39 checksum")
}

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn base58_decode(data: &[u8]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(data.len());
    for &c in data {
        let mut carry = BASE58.iter().position(|&d| d == c)? as u32;
        for byte in out.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    let zeros = data.iter().take_while(|&&c| c == b'1').count();
    let mut result = vec![0; zeros];
    result.extend(out);
    Some(result)
}

/// Base58Check: the payload, then the first four bytes of its double SHA-256.
fn base58check(data: &[u8]) -> Option<Vec<u8>> {
    let raw = base58_decode(data)?;
    if raw.len() < 5 {
        return None;
    }
    let (payload, sum) = raw.split_at(raw.len() - 4);
    let hash = Sha256::digest(Sha256::digest(payload));
    (hash[..4] == *sum).then(|| payload.to_vec())
}

/// secp256k1's group order n: a private key is an integer in [1, n).
const CURVE_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

fn in_curve_range(key: &[u8]) -> bool {
    key.len() == 32 && key.iter().any(|&b| b != 0) && key < &CURVE_ORDER[..]
}

/// BIP-32 extended private keys: 78 bytes, a private version, and key data that starts 0x00.
pub fn extended_key(secret: &[u8]) -> Verdict {
    if PUBLISHED_KEYS.iter().any(|k| k.as_bytes() == secret) {
        return invalid("a published test vector");
    }
    let Some(payload) = base58check(secret) else {
        return invalid("Base58Check checksum mismatch");
    };
    if payload.len() != 78 {
        return invalid("not 78 bytes");
    }
    let version = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
    let kind = match version {
        0x0488_ADE4 => "xprv",
        0x0435_8394 => "tprv",
        0x049D_7878 => "yprv",
        0x04B2_430C => "zprv",
        0x0295_B005 => "Yprv",
        0x02AA_7A99 => "Zprv",
        0x044A_4E28 => "uprv",
        0x045F_18BC => "vprv",
        _ => return invalid("not a private extended key version"),
    };
    if payload[45] != 0 || !in_curve_range(&payload[46..]) {
        return invalid("key data is not a private key");
    }
    valid(format!(
        "{kind} extended private key, depth {}, Base58Check verified",
        payload[4]
    ))
}

/// Wallet Import Format: version 0x80 (mainnet) or 0xEF (testnet), 32 key bytes, 0x01 when the
/// public key is compressed.
pub fn wif(secret: &[u8]) -> Verdict {
    if PUBLISHED_KEYS.iter().any(|k| k.as_bytes() == secret) {
        return invalid("a published test vector");
    }
    let Some(payload) = base58check(secret) else {
        return invalid("Base58Check checksum mismatch");
    };
    let net = match payload.first() {
        Some(0x80) => "mainnet",
        Some(0xEF) => "testnet",
        _ => return invalid("not a WIF version byte"),
    };
    let compressed = match payload.len() {
        33 => false,
        34 if payload[33] == 1 => true,
        _ => return invalid("wrong WIF length"),
    };
    if !in_curve_range(&payload[1..33]) {
        return invalid("key out of the secp256k1 range");
    }
    valid(format!(
        "WIF private key ({net}{}), Base58Check verified",
        if compressed { ", compressed" } else { "" }
    ))
}

/// Keys every Ethereum developer has seen: the first accounts of Hardhat/Anvil and Ganache's
/// deterministic mnemonics. Public knowledge, so not a leak.
const WELL_KNOWN_DEV_KEYS: &[&str] = &[
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d",
    "6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1",
];

/// A raw secp256k1 private key: 64 hex digits in the curve's range, not a pattern and not a
/// well-known development key.
pub fn secp256k1_key(secret: &[u8]) -> Verdict {
    let hex = secret
        .strip_prefix(b"0x")
        .or_else(|| secret.strip_prefix(b"0X"))
        .unwrap_or(secret);
    if hex.len() != 64 {
        return invalid("not 64 hex digits");
    }
    let mut key = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let Ok(byte) = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("zz"), 16) else {
            return invalid("not hex");
        };
        key[i] = byte;
    }
    if !in_curve_range(&key) {
        return invalid("outside the secp256k1 range");
    }
    let lower = String::from_utf8_lossy(hex).to_ascii_lowercase();
    if WELL_KNOWN_DEV_KEYS.contains(&lower.as_str()) {
        return invalid("well-known development key");
    }
    // Small integers, repeated bytes and counting patterns are test values.
    let distinct = {
        let mut seen = [false; 16];
        for c in lower.bytes() {
            seen[(c as char).to_digit(16).unwrap_or(0) as usize] = true;
        }
        seen.iter().filter(|&&s| s).count()
    };
    // `0123456789abcdef` four times over: a value with a short period.
    let periodic = (1..=16).any(|p| {
        lower
            .as_bytes()
            .chunks(p)
            .all(|c| c == &lower.as_bytes()[..c.len()])
    });
    if key[..16].iter().all(|&b| b == 0) || distinct < 8 || periodic {
        return invalid("test pattern, not a random key");
    }
    valid("secp256k1 private key in the curve's range".to_string())
}

/// A Solana keypair file (`id.json`): a JSON array of 64 bytes, the Ed25519 seed then the
/// public key.
pub fn solana_keypair(secret: &[u8]) -> Verdict {
    let Ok(values) = serde_json::from_slice::<Vec<serde_json::Value>>(secret) else {
        return invalid("not a JSON array");
    };
    let bytes: Option<Vec<u8>> = values
        .iter()
        .map(|v| v.as_u64().filter(|&n| n <= 255).map(|n| n as u8))
        .collect();
    let Some(bytes) = bytes else {
        return invalid("not an array of bytes");
    };
    if bytes.len() != 64 {
        return invalid("not 64 bytes");
    }
    let distinct = {
        let mut seen = [false; 256];
        bytes[..32].iter().for_each(|&b| seen[b as usize] = true);
        seen.iter().filter(|&&s| s).count()
    };
    // Random seeds have varied steps between bytes; counting and repeating patterns do not.
    let steps: std::collections::HashSet<u8> = bytes[..32]
        .windows(2)
        .map(|w| w[1].wrapping_sub(w[0]))
        .collect();
    if distinct < 16 || steps.len() < 8 {
        return invalid("seed bytes are a pattern, not random");
    }
    valid("64-byte Ed25519 keypair".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &Verdict) -> bool {
        v.validation == Validation::ValidStructure
    }

    #[test]
    fn wordlist_is_the_standard_one() {
        let list = words();
        assert_eq!(list.len(), 2048);
        assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted");
        let digest = Sha256::digest(WORDLIST.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
        );
    }

    fn indexes(phrase: &str) -> Vec<u16> {
        phrase
            .split(' ')
            .map(|w| words().binary_search(&w).unwrap() as u16)
            .collect()
    }

    #[test]
    fn bip39_test_vectors() {
        // BIP-39's published English vectors. Written with `/` between words so that keyhound
        // scanning its own source does not report them.
        let patterned = [
            "abandon/abandon/abandon/abandon/abandon/abandon/abandon/abandon/abandon/abandon/abandon/about",
            "legal/winner/thank/year/wave/sausage/worth/useful/legal/winner/thank/yellow",
            "letter/advice/cage/absurd/amount/doctor/acoustic/avoid/letter/advice/cage/above",
            "zoo/zoo/zoo/zoo/zoo/zoo/zoo/zoo/zoo/zoo/zoo/wrong",
        ];
        for phrase in patterned.map(|p| p.replace('/', " ")) {
            // The checksum holds, but a patterned entropy is a test vector, not a wallet.
            assert!(bip39_checksum_ok(&indexes(&phrase)), "{phrase}");
            let v = bip39(phrase.as_bytes());
            assert!(!ok(&v), "{phrase}");
            assert!(v.detail.unwrap().contains("test vector"));
        }
        let random = "hamster/diagram/private/dutch/cause/delay/private/meat/slide/toddler/razor/book/happy/fancy/gospel/tennis/maple/dilemma/loan/word/shrug/inflict/delay/length"
            .replace('/', " ");
        let v = bip39(random.as_bytes());
        assert!(ok(&v), "{v:?}");
        assert_eq!(v.span, Some((0, random.len())));
        assert_eq!(
            v.detail.as_deref(),
            Some("24-word BIP-39 mnemonic, checksum verified")
        );
    }

    #[test]
    fn bip39_rejects_changed_words_and_finds_the_phrase_in_prose() {
        // One word changed: the checksum fails.
        let changed = "legal winner thank year wave sausage worth useful legal winner thank zoo";
        assert!(!ok(&bip39(changed.as_bytes())));
        let swapped = "winner legal thank year wave sausage worth useful legal winner thank yellow";
        assert!(!ok(&bip39(swapped.as_bytes())));
        let not_words =
            "legal winner thank year wave sausage worth useful legal winner thank yellowx";
        assert!(!ok(&bip39(not_words.as_bytes())));
        let phrase = "hamster/diagram/private/dutch/cause/delay/private/meat/slide/toddler/razor/book/happy/fancy/gospel/tennis/maple/dilemma/loan/word/shrug/inflict/delay/length"
            .replace('/', " ");
        let prose = format!("my seed is {phrase} ok");
        let v = bip39(prose.as_bytes());
        assert!(ok(&v));
        let (s, e) = v.span.unwrap();
        assert_eq!(&prose[s..e], phrase);
        // Label words that are themselves wordlist words ("seed phrase") are left out.
        let labelled = format!("seed phrase {phrase}");
        let (s, e) = bip39(labelled.as_bytes()).span.unwrap();
        assert_eq!(&labelled[s..e], phrase);
        // A random list of wordlist words: the checksum fails.
        let random = phrase.replace("length", "lemon");
        assert!(!ok(&bip39(random.as_bytes())));
    }

    fn base58check_encode(payload: &[u8]) -> String {
        let mut data = payload.to_vec();
        data.extend_from_slice(&Sha256::digest(Sha256::digest(payload))[..4]);
        let mut digits: Vec<u8> = Vec::new();
        for &byte in &data {
            let mut carry = u32::from(byte);
            for d in digits.iter_mut() {
                carry += u32::from(*d) << 8;
                *d = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let zeros = data.iter().take_while(|&&b| b == 0).count();
        let mut out = "1".repeat(zeros);
        out.extend(digits.iter().rev().map(|&d| BASE58[d as usize] as char));
        out
    }

    #[test]
    fn base58check_vectors() {
        // BIP-32 test vector 1: the checksum verifies, but it is a published key.
        let published = PUBLISHED_KEYS[0];
        assert_eq!(base58check(published.as_bytes()).map(|p| p.len()), Some(78));
        let v = extended_key(published.as_bytes());
        assert_eq!(v.detail.as_deref(), Some("a published test vector"));
        // A fresh key of the same layout is valid; one changed character is not.
        let mut payload = vec![0x04, 0x88, 0xAD, 0xE4, 2, 1, 2, 3, 4, 0, 0, 0, 7];
        payload.extend((0..32).map(|i| (i * 29 + 5) as u8));
        payload.push(0);
        payload.extend((0..32).map(|i| (i * 53 + 11) as u8));
        let xprv = base58check_encode(&payload);
        assert!(xprv.starts_with("xprv"), "{xprv}");
        let v = extended_key(xprv.as_bytes());
        assert!(ok(&v), "{v:?}");
        assert_eq!(
            v.detail.as_deref(),
            Some("xprv extended private key, depth 2, Base58Check verified")
        );
        let mut changed = xprv.clone().into_bytes();
        changed[40] = if changed[40] == b'a' { b'b' } else { b'a' };
        assert!(!ok(&extended_key(&changed)));
        // The public half is not a secret.
        payload[..4].copy_from_slice(&[0x04, 0x88, 0xB2, 0x1E]);
        assert!(!ok(&extended_key(base58check_encode(&payload).as_bytes())));
        // WIF: the Bitcoin wiki's example is published; a fresh compressed key is valid.
        assert!(!ok(&wif(PUBLISHED_KEYS[2].as_bytes())));
        let mut key = vec![0x80];
        key.extend((0..32).map(|i| (i * 71 + 3) as u8));
        key.push(1);
        let fresh = base58check_encode(&key);
        let v = wif(fresh.as_bytes());
        assert_eq!(
            v.detail.as_deref(),
            Some("WIF private key (mainnet, compressed), Base58Check verified")
        );
        let mut bad = fresh.into_bytes();
        bad[10] = if bad[10] == b'z' { b'y' } else { b'z' };
        assert!(!ok(&wif(&bad)));
    }

    #[test]
    fn secp256k1_range_and_test_keys() {
        assert!(ok(&secp256k1_key(
            b"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
        )));
        // The curve order itself and above are not keys.
        assert!(!ok(&secp256k1_key(
            b"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        )));
        assert!(!ok(&secp256k1_key(
            b"0000000000000000000000000000000000000000000000000000000000000001"
        )));
        assert!(!ok(&secp256k1_key(
            b"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        )));
        assert!(!ok(&secp256k1_key(
            b"1111111111111111111111111111111111111111111111111111111111111111"
        )));
        assert!(!ok(&secp256k1_key(
            b"0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        )));
    }

    #[test]
    fn solana_keypair_shape() {
        let mut x: u32 = 2463534242;
        let bytes: Vec<String> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 256).to_string()
            })
            .collect();
        let json = format!("[{}]", bytes.join(","));
        assert!(ok(&solana_keypair(json.as_bytes())));
        let counting: Vec<String> = (0..64).map(|i| ((i * 37 + 11) % 256).to_string()).collect();
        assert!(!ok(&solana_keypair(
            format!("[{}]", counting.join(",")).as_bytes()
        )));
        let short = format!("[{}]", bytes[..32].join(","));
        assert!(!ok(&solana_keypair(short.as_bytes())));
        let zeros = format!("[{}]", vec!["0"; 64].join(","));
        assert!(!ok(&solana_keypair(zeros.as_bytes())));
    }
}
