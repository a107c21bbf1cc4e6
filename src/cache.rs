//! The scan cache (`--cache DIR`): what earlier scans with the same keyhound, rules and
//! options found in each blob, commit message or file, so that a re-scan does not read or
//! match again what held nothing. It stores no secret: per content id (a git object id, or
//! a hash of a file's bytes) and the path it was scanned under, the rule and byte span of
//! each match, or none. Content with matches is read and scanned again, to build its
//! findings.
//!
//! One file per key (a hash of the version, the rules and the options that change what a
//! scan finds), so a cache made by another rule set is never read. A file ends with the
//! SHA-256 of what precedes it: a corrupt or truncated one is reported in one line, discarded
//! and rebuilt. It is written beside itself and renamed into place, merged with whatever
//! another run wrote meanwhile, so concurrent runs never leave a broken file (the last one to
//! finish keeps what it and the file had). Past `max_bytes`, what this run did not use is
//! dropped first.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::lock;

const MAGIC: &[u8] = b"keyhound-cache 1\n";

/// A content id: a git object id, or the first 20 bytes of a file's hash.
pub type Id = [u8; 20];

/// One match: rule id, start and end byte.
pub type Span = (String, u32, u32);

/// (content id, hash of the path it was scanned under): the path matters, since a path can
/// change what a rule finds (lockfiles, tests).
type Key = (Id, u32);

pub struct Cache {
    file: PathBuf,
    max_bytes: u64,
    /// The file's size and time when it was read: unchanged at the end, it need not be read
    /// again to merge another run's entries.
    stamp: Option<(u64, std::time::SystemTime)>,
    /// What the file held when the run started.
    old: HashMap<Key, Vec<Span>>,
    /// What this run scanned or found clean in `old`.
    used: Mutex<HashMap<Key, Vec<Span>>>,
    hits: AtomicU64,
}

/// The hash of the scan's settings that names the cache file.
pub fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The id of a file's content (not git's: it is never compared with a blob id).
pub fn content_id(bytes: &[u8]) -> Id {
    let hash = Sha256::digest(bytes);
    let mut id = [0u8; 20];
    id.copy_from_slice(&hash[..20]);
    id
}

fn path_hash(path: &str) -> u32 {
    crc32fast::hash(path.as_bytes())
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// Opens (creates) the cache of `key` in `dir`. A cache file that cannot be read as one
    /// is `warn`ed about and started afresh; a directory that cannot be made is an error.
    pub fn open(
        dir: &Path,
        key: &str,
        max_bytes: u64,
        warn: &dyn Fn(String),
    ) -> std::io::Result<Cache> {
        std::fs::create_dir_all(dir)?;
        let file = dir.join(format!("{key}.cache"));
        let stamp = stamp(&file);
        let old = match read(&file) {
            Ok(entries) => entries,
            Err(why) => {
                warn(format!(
                    "{}: {why}: discarded, it is rebuilt by this scan",
                    file.display()
                ));
                HashMap::new()
            }
        };
        Ok(Cache {
            file,
            max_bytes,
            stamp,
            old,
            used: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
        })
    }

    /// Whether `id`, scanned under `path`, held nothing last time: then it need not be read.
    pub fn is_clean(&self, id: &Id, path: &str) -> bool {
        let key = (*id, path_hash(path));
        match self.old.get(&key) {
            Some(spans) if spans.is_empty() => {
                lock(&self.used).insert(key, Vec::new());
                self.hits.fetch_add(1, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// What scanning `id` under `path` found.
    pub fn record(&self, id: Id, path: &str, spans: Vec<Span>) {
        lock(&self.used).insert((id, path_hash(path)), spans);
    }

    /// How many contents were not read again.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Writes the cache: this run's entries, then what the file holds now (another run may
    /// have added to it), then the rest of what it held, within `max_bytes`. Returns the
    /// file's size.
    pub fn save(&self) -> std::io::Result<u64> {
        let used = lock(&self.used);
        let unchanged = stamp(&self.file) == self.stamp && self.stamp.is_some();
        let within = self.stamp.is_some_and(|(len, _)| len <= self.max_bytes);
        // Nothing new, nobody else wrote, and within the bound: the file stays as it is.
        if unchanged && within && used.iter().all(|(k, v)| self.old.get(k) == Some(v)) {
            return Ok(self.stamp.map_or(0, |(len, _)| len));
        }
        let now = if unchanged {
            HashMap::new()
        } else {
            read(&self.file).unwrap_or_default()
        };
        let mut out = MAGIC.to_vec();
        let mut written = std::collections::HashSet::new();
        let sources = [&*used, &now, &self.old];
        'all: for source in sources {
            for (key, spans) in source.iter() {
                if !written.insert(*key) {
                    continue;
                }
                let before = out.len();
                encode(&mut out, key, spans);
                if (out.len() + 32) as u64 > self.max_bytes {
                    out.truncate(before);
                    break 'all;
                }
            }
        }
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        let dir = self.file.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        // No fsync: a file cut short by a crash fails its checksum and is rebuilt.
        tmp.write_all(&out)?;
        tmp.persist(&self.file).map_err(|e| e.error)?;
        Ok(out.len() as u64)
    }

    pub fn path(&self) -> &Path {
        &self.file
    }
}

fn stamp(file: &Path) -> Option<(u64, std::time::SystemTime)> {
    let meta = std::fs::metadata(file).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

fn encode(out: &mut Vec<u8>, key: &Key, spans: &[Span]) {
    out.extend_from_slice(&key.0);
    out.extend_from_slice(&key.1.to_le_bytes());
    out.extend_from_slice(&(spans.len() as u16).to_le_bytes());
    for (rule, start, end) in spans {
        out.extend_from_slice(&(rule.len() as u16).to_le_bytes());
        out.extend_from_slice(rule.as_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&end.to_le_bytes());
    }
}

/// The entries of the cache file `file` (none when there is none yet), or why it is not one.
fn read(file: &Path) -> Result<HashMap<Key, Vec<Span>>, String> {
    let data = match std::fs::read(file) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    if data.len() < MAGIC.len() + 32 || !data.starts_with(MAGIC) {
        return Err("not a keyhound cache (or truncated)".into());
    }
    let (body, sum) = data.split_at(data.len() - 32);
    if Sha256::digest(body)[..] != *sum {
        return Err("corrupt or truncated (its checksum does not match)".into());
    }
    let mut r = Reader(&body[MAGIC.len()..]);
    let mut entries = HashMap::new();
    while !r.0.is_empty() {
        let bad = || "corrupt (an entry is cut short)".to_string();
        let id: Id = r.take(20).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
        let path = r.u32().ok_or_else(bad)?;
        let n = r.u16().ok_or_else(bad)?;
        let mut spans = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let len = r.u16().ok_or_else(bad)? as usize;
            let rule = String::from_utf8_lossy(r.take(len).ok_or_else(bad)?).into_owned();
            spans.push((rule, r.u32().ok_or_else(bad)?, r.u32().ok_or_else(bad)?));
        }
        entries.insert((id, path), spans);
    }
    Ok(entries)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_save_and_damage_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let warned = Mutex::new(Vec::new());
        let warn = |m: String| lock(&warned).push(m);
        let cache = Cache::open(dir.path(), "k", 1 << 20, &warn).unwrap();
        cache.record([1; 20], "a.env", Vec::new());
        cache.record([2; 20], "b.env", vec![("github-pat-classic".into(), 6, 46)]);
        cache.save().unwrap();
        let again = Cache::open(dir.path(), "k", 1 << 20, &warn).unwrap();
        assert!(again.is_clean(&[1; 20], "a.env"));
        // Another path, or content with matches: read again.
        assert!(!again.is_clean(&[1; 20], "b/a.env"));
        assert!(!again.is_clean(&[2; 20], "b.env"));
        assert_eq!(again.hits(), 1);
        assert!(lock(&warned).is_empty());
        // Another key is another file.
        let other = Cache::open(dir.path(), "other", 1 << 20, &warn).unwrap();
        assert!(!other.is_clean(&[1; 20], "a.env"));
        // Cut short or flipped: one warning, and an empty cache.
        let file = again.path().to_path_buf();
        let bytes = std::fs::read(&file).unwrap();
        for broken in [
            &bytes[..bytes.len() - 5],
            &[&bytes[..20], b"x", &bytes[21..]].concat()[..],
        ] {
            std::fs::write(&file, broken).unwrap();
            let c = Cache::open(dir.path(), "k", 1 << 20, &warn).unwrap();
            assert!(!c.is_clean(&[1; 20], "a.env"));
        }
        assert_eq!(lock(&warned).len(), 2, "{:?}", lock(&warned));
        assert!(lock(&warned)[0].contains("k.cache"));
    }

    #[test]
    fn the_size_bound_keeps_what_the_run_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path(), "k", 1 << 20, &|_| {}).unwrap();
        for i in 0..100u8 {
            cache.record([i; 20], "f", Vec::new());
        }
        cache.save().unwrap();
        // 30 entries of 26 bytes fit in 1 KiB with the header and checksum.
        let small = Cache::open(dir.path(), "k", 1024, &|_| {}).unwrap();
        assert!(small.is_clean(&[7; 20], "f"));
        let size = small.save().unwrap();
        assert!(size <= 1024, "{size}");
        let after = Cache::open(dir.path(), "k", 1024, &|_| {}).unwrap();
        assert!(after.is_clean(&[7; 20], "f"));
    }
}
