//! Blobs straight from a repository's pack files, in pack order, with delta bases reused.
//!
//! libgit2 reads one object at a time: a header read for its size, then the object, through
//! pack windows that every thread shares under one lock. Here each worker reads the blobs it
//! is given in the order they lie in the pack, with `pread` (no mapping, so memory stays the
//! worker's cache), and keeps recently rebuilt objects, which are the bases of the deltas that
//! follow them. An entry's size is in its header (a delta's in its first bytes), so a blob
//! too large to scan is skipped before it is inflated.
//!
//! Only what a history scan needs: SHA-1 packs with a version 2 index, blobs by id. Anything
//! else (loose objects, alternates, a SHA-256 repository, an entry this code cannot decode)
//! is left to libgit2, which reads it the slow way.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use git2::Oid;

use crate::content::{Delta, ObjectId, Piece};

/// Where a blob's entry is: which pack, and at what offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub pack: u32,
    pub offset: u64,
}

/// Why an entry could not be read (libgit2 is then asked instead).
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Corrupt(String),
    /// A delta whose base is in no pack (a thin pack, or a loose base).
    #[error("delta base {0} is not in a pack")]
    MissingBase(Oid),
}

fn corrupt<T>(why: impl Into<String>) -> Result<T, PackError> {
    Err(PackError::Corrupt(why.into()))
}

/// Largest object rebuilt here (a base in a chain is not checked against `--max-file-size`);
/// anything larger is left to libgit2, which the caller asks only after checking the size.
const MAX_OBJECT: u64 = 1 << 30;

/// `pread`: reads at an offset without moving a shared cursor, so workers share one `File`.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// Reads bytes off an entry's header.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Result<u8, PackError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(PackError::Corrupt("truncated entry".into()))?;
        self.pos += 1;
        Ok(b)
    }
}

struct Pack {
    file: File,
    /// Object ids, sorted, 20 bytes each.
    ids: Vec<u8>,
    /// Entry offsets, in id order.
    offsets: Vec<u64>,
    /// Entry offsets, sorted, then the end of the last entry: an entry's compressed data ends
    /// where the next entry starts.
    ends: Vec<u64>,
    /// For each of `ends` but the last, the index (into `ids`) of the entry there.
    at_end: Vec<u32>,
    fanout: [u32; 256],
}

impl Pack {
    fn open(idx_path: &Path) -> Option<Pack> {
        let idx = std::fs::read(idx_path).ok()?;
        let file = File::open(idx_path.with_extension("pack")).ok()?;
        let pack_len = file.metadata().ok()?.len();
        // Version 2: magic, version, 256 fanout counts, then ids, CRCs, offsets, large offsets
        // and two 20-byte checksums.
        if idx.len() < 8 + 1024 + 40 || idx[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
            return None;
        }
        let be32 = |at: usize| u32::from_be_bytes(idx[at..at + 4].try_into().unwrap());
        let mut fanout = [0u32; 256];
        for (i, f) in fanout.iter_mut().enumerate() {
            *f = be32(8 + 4 * i);
        }
        let n = fanout[255] as usize;
        let ids_at = 8 + 1024;
        let offsets_at = ids_at + 20 * n + 4 * n;
        let large_at = offsets_at + 4 * n;
        // A SHA-256 index (32-byte ids) does not fit this layout: left to libgit2.
        if large_at + 40 > idx.len() || (idx.len() - large_at - 40) % 8 != 0 {
            return None;
        }
        let large = (idx.len() - large_at - 40) / 8;
        let mut offsets = Vec::with_capacity(n);
        for i in 0..n {
            let o = be32(offsets_at + 4 * i);
            let offset = if o & 0x8000_0000 == 0 {
                u64::from(o)
            } else {
                let j = (o & 0x7fff_ffff) as usize;
                if j >= large {
                    return None;
                }
                let at = large_at + 8 * j;
                u64::from_be_bytes(idx[at..at + 8].try_into().unwrap())
            };
            if offset >= pack_len {
                return None;
            }
            offsets.push(offset);
        }
        let mut at_end: Vec<u32> = (0..n as u32).collect();
        at_end.sort_unstable_by_key(|&i| offsets[i as usize]);
        let mut ends: Vec<u64> = at_end.iter().map(|&i| offsets[i as usize]).collect();
        // The pack ends with a 20-byte checksum.
        ends.push(pack_len.saturating_sub(20));
        let ids = idx[ids_at..ids_at + 20 * n].to_vec();
        Some(Pack {
            file,
            ids,
            offsets,
            ends,
            at_end,
            fanout,
        })
    }

    fn find(&self, id: &Oid) -> Option<u64> {
        let id = id.as_bytes();
        let first = id[0] as usize;
        let lo = if first == 0 {
            0
        } else {
            self.fanout[first - 1] as usize
        };
        let hi = self.fanout[first] as usize;
        let (mut lo, mut hi) = (lo, hi.min(self.offsets.len()));
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.ids[20 * mid..20 * mid + 20].cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.offsets[mid]),
            }
        }
        None
    }

    /// The id of the object whose entry starts at `offset`.
    fn id_at(&self, offset: u64) -> Option<Oid> {
        let i = self.ends.binary_search(&offset).ok()?;
        let j = *self.at_end.get(i)? as usize;
        Oid::from_bytes(&self.ids[20 * j..20 * j + 20]).ok()
    }

    /// Where the entry at `offset` ends (where the next one starts).
    fn end_of(&self, offset: u64) -> u64 {
        let i = self.ends.partition_point(|&o| o <= offset);
        self.ends.get(i).copied().unwrap_or(offset)
    }
}

/// The repository's packs, opened once and shared by all workers (reads are `pread`s).
pub struct Packs {
    packs: Vec<Pack>,
}

impl Packs {
    /// The packs under `git_dir/objects/pack` that this reader understands (none is an error:
    /// everything is then read by libgit2).
    pub fn open(git_dir: &Path) -> Packs {
        let mut idx: Vec<_> = std::fs::read_dir(git_dir.join("objects").join("pack"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                    .collect()
            })
            .unwrap_or_default();
        idx.sort();
        Packs {
            packs: idx.iter().filter_map(|p| Pack::open(p)).collect(),
        }
    }

    fn pack(&self, at: Location) -> Result<&Pack, PackError> {
        match self.packs.get(at.pack as usize) {
            Some(p) => Ok(p),
            None => corrupt("no such pack"),
        }
    }

    /// Where the delta base of the entry at `at` is, when the entry is a delta (its header
    /// says so: nothing is inflated).
    pub fn delta_base(&self, at: Location) -> Option<Location> {
        match self.entry(at).ok()?.base? {
            Base::At(offset) => Some(Location {
                pack: at.pack,
                offset,
            }),
            Base::Id(id) => self.locate(&id),
        }
    }

    fn entry(&self, at: Location) -> Result<Entry, PackError> {
        let pack = self.pack(at)?;
        let mut head = [0u8; 32];
        let end = pack.end_of(at.offset);
        let want = ((end - at.offset) as usize).min(head.len());
        read_at(&pack.file, &mut head[..want], at.offset)?;
        let mut head = Cursor {
            bytes: &head[..want],
            pos: 0,
        };
        let mut c = head.next()?;
        let kind = (c >> 4) & 7;
        let mut size = u64::from(c & 15);
        let mut shift = 4;
        while c & 0x80 != 0 {
            c = head.next()?;
            if shift > 60 {
                return corrupt("entry size too large");
            }
            size |= u64::from(c & 0x7f) << shift;
            shift += 7;
        }
        let base = match kind {
            OBJ_OFS_DELTA => {
                let mut c = head.next()?;
                let mut back = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    c = head.next()?;
                    back = back
                        .checked_add(1)
                        .and_then(|b| b.checked_mul(128))
                        .ok_or(PackError::Corrupt("delta offset too large".into()))?
                        | u64::from(c & 0x7f);
                }
                match at.offset.checked_sub(back) {
                    Some(base) if back > 0 => Some(Base::At(base)),
                    _ => return corrupt("delta base outside the pack"),
                }
            }
            OBJ_REF_DELTA => {
                let mut id = [0u8; 20];
                for b in &mut id {
                    *b = head.next()?;
                }
                Some(Base::Id(
                    Oid::from_bytes(&id).map_err(|e| PackError::Corrupt(e.to_string()))?,
                ))
            }
            1..=4 => None,
            _ => return corrupt(format!("unknown entry type {kind}")),
        };
        Ok(Entry {
            kind,
            size,
            data: at.offset + head.pos as u64,
            end,
            base,
        })
    }

    /// The id of the object at `at`.
    pub fn id_at(&self, at: Location) -> Option<Oid> {
        self.packs.get(at.pack as usize)?.id_at(at.offset)
    }

    pub fn locate(&self, id: &Oid) -> Option<Location> {
        self.packs.iter().enumerate().find_map(|(i, p)| {
            p.find(id).map(|offset| Location {
                pack: i as u32,
                offset,
            })
        })
    }
}

const OBJ_OFS_DELTA: u8 = 6;
const OBJ_REF_DELTA: u8 = 7;
/// Longest delta chain followed (git's own default maximum depth is 4,095).
const MAX_CHAIN: usize = 10_000;

/// One entry's header: its type, the size its data inflates to, where that data starts and
/// ends, and for a delta its base.
struct Entry {
    kind: u8,
    size: u64,
    data: u64,
    end: u64,
    base: Option<Base>,
}

enum Base {
    At(u64),
    Id(Oid),
}

/// A worker's reader: the shared packs, and a cache of objects it rebuilt lately.
pub struct Reader<'p> {
    packs: &'p Packs,
    cache: HashMap<Location, Arc<Vec<u8>>>,
    order: VecDeque<Location>,
    cached: usize,
    budget: usize,
    /// Compressed bytes of the entry being inflated, reused from entry to entry.
    packed: Vec<u8>,
    /// A delta's instructions, reused likewise.
    delta: Vec<u8>,
    /// One inflater, reset for each entry: a new one allocates its 32 KiB window each time.
    z: flate2::Decompress,
    /// Buffers of objects that left the cache, reused for the next objects. Allocating a
    /// fresh buffer for every object made the allocator keep freed memory between the
    /// long-lived cached ones: on git/git the workers' heaps held 200 MiB with 32 MiB live.
    spare: Vec<Vec<u8>>,
    spare_bytes: usize,
    /// The base of the object `read` returned last, when it was rebuilt from a delta (whose
    /// instructions are then in `delta`).
    last_base: Option<Location>,
}

impl<'p> Reader<'p> {
    /// `budget` bytes of rebuilt objects kept for the deltas that follow them.
    pub fn new(packs: &'p Packs, budget: usize) -> Reader<'p> {
        Reader {
            packs,
            cache: HashMap::new(),
            order: VecDeque::new(),
            cached: 0,
            budget,
            packed: Vec::new(),
            delta: Vec::new(),
            z: flate2::Decompress::new(true),
            spare: Vec::new(),
            spare_bytes: 0,
            last_base: None,
        }
    }

    /// Inflates the entry's data into `out` (emptied first).
    fn inflate(&mut self, at: Location, e: &Entry, out: &mut Vec<u8>) -> Result<(), PackError> {
        let pack = self.packs.pack(at)?;
        let packed_len = e.end.saturating_sub(e.data);
        // zlib expands at most about 1,032 to 1: a larger stated size is a lie.
        if e.size > MAX_OBJECT || e.size > packed_len.saturating_mul(1100) + 64 {
            return corrupt("entry states an impossible size");
        }
        self.packed.clear();
        self.packed.resize(packed_len as usize, 0);
        read_at(&pack.file, &mut self.packed, e.data)?;
        let size = e.size as usize;
        out.clear();
        out.reserve_exact(size);
        self.z.reset(true);
        match self
            .z
            .decompress_vec(&self.packed, out, flate2::FlushDecompress::Finish)
        {
            Ok(flate2::Status::StreamEnd) if out.len() == size => Ok(()),
            Ok(_) => corrupt("entry does not inflate to its stated size"),
            Err(e) => corrupt(format!("inflate: {e}")),
        }
    }

    /// The size of the object at `at` once rebuilt, without rebuilding it: a base entry states
    /// it, a delta's data starts with it.
    pub fn size(&mut self, at: Location) -> Result<u64, PackError> {
        let e = self.packs.entry(at)?;
        if e.base.is_none() {
            return Ok(e.size);
        }
        let pack = self.packs.pack(at)?;
        // The two sizes are varints at the start of the delta, but a dynamic Huffman block's
        // header comes before them and can take a few hundred bytes: read more until they
        // inflate.
        let packed_len = (e.end - e.data) as usize;
        let mut n = packed_len.min(256);
        loop {
            self.packed.clear();
            self.packed.resize(n, 0);
            read_at(&pack.file, &mut self.packed, e.data)?;
            let mut out = Vec::with_capacity(32);
            self.z.reset(true);
            let _ = self
                .z
                .decompress_vec(&self.packed, &mut out, flate2::FlushDecompress::None);
            match delta_sizes(&out) {
                Ok((_, size)) => return Ok(size),
                Err(e) if n == packed_len => return Err(e),
                Err(_) => n = (n * 4).min(packed_len),
            }
        }
    }

    /// The object at `at`, rebuilt from its delta chain.
    pub fn read(&mut self, at: Location) -> Result<Arc<Vec<u8>>, PackError> {
        // Walk down to a cached object or a base entry, then apply the deltas back up.
        let mut chain: Vec<(Location, Entry, Location)> = Vec::new();
        let mut here = at;
        self.last_base = None;
        let mut data: Arc<Vec<u8>> = loop {
            if let Some(hit) = self.cache.get(&here) {
                break hit.clone();
            }
            if chain.len() > MAX_CHAIN {
                return corrupt("delta chain too long");
            }
            let e = self.packs.entry(here)?;
            match &e.base {
                None => {
                    if !(1..=4).contains(&e.kind) {
                        return corrupt("bad base entry");
                    }
                    let mut bytes = self.buffer(e.size as usize);
                    if let Err(err) = self.inflate(here, &e, &mut bytes) {
                        self.give_back(bytes);
                        return Err(err);
                    }
                    let bytes = Arc::new(bytes);
                    self.keep(here, &bytes);
                    break bytes;
                }
                Some(Base::At(offset)) => {
                    let next = Location {
                        pack: here.pack,
                        offset: *offset,
                    };
                    chain.push((here, e, next));
                    here = next;
                }
                Some(Base::Id(id)) => {
                    let id = *id;
                    let next = self.packs.locate(&id).ok_or(PackError::MissingBase(id))?;
                    chain.push((here, e, next));
                    here = next;
                }
            }
        };
        while let Some((loc, e, base)) = chain.pop() {
            let mut delta = std::mem::take(&mut self.delta);
            let inflated = self.inflate(loc, &e, &mut delta);
            self.delta = delta;
            inflated?;
            let (_, target) = delta_sizes(&self.delta)?;
            let mut out = self.buffer(target.min(MAX_OBJECT) as usize);
            if let Err(err) = apply_delta(&data, &self.delta, &mut out) {
                self.give_back(out);
                return Err(err);
            }
            self.recycle(std::mem::replace(&mut data, Arc::new(out)));
            self.keep(loc, &data);
            if loc == at {
                self.last_base = Some(base);
            }
        }
        Ok(data)
    }

    /// How the object `read` returned last is made from its delta base: the base's id and the
    /// pieces, when it was rebuilt from a delta (not found in the cache).
    pub fn last_delta(&self) -> Option<Delta> {
        let base = self.packs.id_at(self.last_base?)?;
        let pieces = delta_pieces(&self.delta).ok()?;
        Some(Delta {
            base: ObjectId(base.as_bytes().try_into().ok()?),
            pieces,
        })
    }

    /// A buffer for an object of about `size` bytes: a spare one if one is large enough and
    /// not far larger, else a new one.
    fn buffer(&mut self, size: usize) -> Vec<u8> {
        let fit = self
            .spare
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= size && b.capacity() <= size.saturating_mul(2) + 4096)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        match fit {
            Some(i) => {
                let b = self.spare.swap_remove(i);
                self.spare_bytes -= b.capacity();
                b
            }
            None => Vec::with_capacity(size),
        }
    }

    fn give_back(&mut self, mut b: Vec<u8>) {
        // Spares are bounded by half the cache budget, and kept few so that a search is short.
        if self.spare_bytes + b.capacity() <= self.budget / 2 && self.spare.len() < 256 {
            b.clear();
            self.spare_bytes += b.capacity();
            self.spare.push(b);
        }
    }

    /// Hands back an object the caller is done with: its buffer is reused once no one else
    /// (the cache) holds it.
    pub fn recycle(&mut self, data: Arc<Vec<u8>>) {
        if let Ok(b) = Arc::try_unwrap(data) {
            self.give_back(b);
        }
    }

    fn keep(&mut self, at: Location, bytes: &Arc<Vec<u8>>) {
        // An object bigger than a quarter of the budget would push out everything else.
        if bytes.len() > self.budget / 4 || self.cache.contains_key(&at) {
            return;
        }
        self.cache.insert(at, bytes.clone());
        self.order.push_back(at);
        self.cached += bytes.len();
        while self.cached > self.budget {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(b) = self.cache.remove(&old) {
                self.cached -= b.len();
                self.recycle(b);
            }
        }
    }
}

fn varint(data: &[u8], pos: &mut usize) -> Result<u64, PackError> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let Some(&b) = data.get(*pos) else {
            return corrupt("truncated delta header");
        };
        *pos += 1;
        if shift > 63 {
            return corrupt("delta size too large");
        }
        value |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// One instruction of a delta: copy a range of the base, or insert literal bytes.
enum Op<'a> {
    Copy { offset: usize, size: usize },
    Insert(&'a [u8]),
}

/// A delta's instructions, after its two sizes.
struct DeltaOps<'a> {
    delta: &'a [u8],
    pos: usize,
}

impl<'a> DeltaOps<'a> {
    fn new(delta: &'a [u8]) -> Result<DeltaOps<'a>, PackError> {
        let mut pos = 0;
        varint(delta, &mut pos)?;
        varint(delta, &mut pos)?;
        Ok(DeltaOps { delta, pos })
    }
}

impl<'a> Iterator for DeltaOps<'a> {
    type Item = Result<Op<'a>, PackError>;

    fn next(&mut self) -> Option<Self::Item> {
        let delta = self.delta;
        let op = *delta.get(self.pos)?;
        self.pos += 1;
        if op & 0x80 != 0 {
            // Which of four offset bytes and three size bytes follow, low bits first.
            let mut field = |bits: u8, bytes: usize| -> Result<usize, PackError> {
                let mut v = 0usize;
                for i in 0..bytes {
                    if op & (bits << i) != 0 {
                        let Some(&b) = delta.get(self.pos) else {
                            return corrupt("truncated copy instruction");
                        };
                        self.pos += 1;
                        v |= usize::from(b) << (8 * i);
                    }
                }
                Ok(v)
            };
            let offset = match field(0x01, 4) {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            let size = match field(0x10, 3) {
                Ok(0) => 0x10000,
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            Some(Ok(Op::Copy { offset, size }))
        } else if op != 0 {
            let n = usize::from(op);
            let bytes = delta.get(self.pos..self.pos + n);
            self.pos += n;
            Some(
                bytes
                    .map(Op::Insert)
                    .ok_or(PackError::Corrupt("truncated insert instruction".into())),
            )
        } else {
            Some(corrupt("reserved delta instruction"))
        }
    }
}

/// The pieces a delta makes its result of: ranges copied from the base, and new bytes.
pub fn delta_pieces(delta: &[u8]) -> Result<Vec<Piece>, PackError> {
    let mut pieces = Vec::new();
    let mut at = 0;
    for op in DeltaOps::new(delta)? {
        let (len, from) = match op? {
            Op::Copy { offset, size } => (size, Some(offset)),
            Op::Insert(bytes) => (bytes.len(), None),
        };
        pieces.push(Piece { at, len, from });
        at += len;
    }
    Ok(pieces)
}

/// Git's delta format: the base's size, the result's size, then instructions that copy a
/// range of the base or insert literal bytes. The result goes to `out`.
pub fn apply_delta(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Result<(), PackError> {
    let (source, target) = delta_sizes(delta)?;
    if source != base.len() as u64 {
        return corrupt("delta base has the wrong size");
    }
    if target > MAX_OBJECT {
        return corrupt("delta result too large");
    }
    let target = target as usize;
    out.clear();
    out.reserve_exact(target);
    for op in DeltaOps::new(delta)? {
        match op? {
            Op::Copy { offset, size } => match offset.checked_add(size) {
                Some(end) if end <= base.len() => out.extend_from_slice(&base[offset..end]),
                _ => return corrupt("delta copies past its base"),
            },
            Op::Insert(bytes) => out.extend_from_slice(bytes),
        }
        if out.len() > target {
            return corrupt("delta result longer than stated");
        }
    }
    if out.len() != target {
        return corrupt("delta result shorter than stated");
    }
    Ok(())
}

/// The sizes a delta states first: its base's and its result's.
fn delta_sizes(delta: &[u8]) -> Result<(u64, u64), PackError> {
    let mut pos = 0;
    Ok((varint(delta, &mut pos)?, varint(delta, &mut pos)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_copies_and_inserts() {
        let base = b"hello, world";
        // source 12, target 13; copy offset 0 size 7 ("hello, "), insert "there", copy
        // offset 12 size 0 is not allowed; instead insert "!".
        let delta = [12, 13, 0x90, 7, 5, b't', b'h', b'e', b'r', b'e', 1, b'!'];
        let mut out = Vec::new();
        apply_delta(base, &delta, &mut out).unwrap();
        assert_eq!(out, b"hello, there!");
        // A copy past the base, a wrong base size, a short result: errors, not panics.
        assert!(apply_delta(base, &[12, 20, 0x91, 10, 5], &mut out).is_err());
        assert!(apply_delta(b"x", &delta, &mut out).is_err());
        assert!(apply_delta(base, &[12, 13, 0x90, 7], &mut out).is_err());
        assert!(apply_delta(base, &[12, 13, 0], &mut out).is_err());
    }
}

#[cfg(test)]
mod pack_tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Deterministic text that changes a little from version to version, so that git stores
    /// most versions as deltas, some of them large enough for dynamic Huffman blocks.
    fn version(seed: u64, n: usize) -> String {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut s = String::new();
        for line in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if line % 97 == (seed as usize) % 97 {
                s.push_str(&format!("changed {x:x} in version {seed}\n"));
            } else {
                s.push_str(&format!(
                    "line {line} of the file, word {}\n",
                    line * 31 % 1000
                ));
            }
        }
        s
    }

    fn packed_repo(ref_deltas: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q"]);
        for v in 0..40u64 {
            std::fs::write(p.join("big.txt"), version(v, 4000)).unwrap();
            std::fs::write(p.join("small.txt"), version(v, 20)).unwrap();
            git(p, &["add", "-A"]);
            git(p, &["commit", "-q", "-m", &format!("v{v}")]);
        }
        let offsets = if ref_deltas { "false" } else { "true" };
        git(
            p,
            &[
                "-c",
                &format!("repack.useDeltaBaseOffset={offsets}"),
                "repack",
                "-adfq",
                "--depth=20",
            ],
        );
        dir
    }

    #[test]
    fn every_blob_of_a_packed_repository_reads_as_git_reads_it() {
        for ref_deltas in [false, true] {
            let dir = packed_repo(ref_deltas);
            let p = dir.path();
            let packs = Packs::open(&p.join(".git"));
            assert_eq!(packs.packs.len(), 1);
            let listing = git(
                p,
                &[
                    "cat-file",
                    "--batch-all-objects",
                    "--batch-check=%(objectname) %(objecttype) %(deltabase)",
                ],
            );
            let mut reader = Reader::new(&packs, 1 << 20);
            let (mut blobs, mut deltas) = (0, 0);
            for line in String::from_utf8(listing).unwrap().lines() {
                let f: Vec<&str> = line.split(' ').collect();
                if f[1] != "blob" {
                    continue;
                }
                blobs += 1;
                deltas += usize::from(f[2].bytes().any(|b| b != b'0'));
                let id = Oid::from_str(f[0]).unwrap();
                let at = packs.locate(&id).expect("in the pack");
                let want = git(p, &["cat-file", "blob", f[0]]);
                assert_eq!(reader.size(at).unwrap(), want.len() as u64, "{}", f[0]);
                let got = reader.read(at).unwrap();
                assert!(*got == want, "{} differs", f[0]);
                reader.recycle(got);
            }
            assert!(blobs >= 60, "{blobs} blobs");
            assert!(deltas > 40, "only {deltas} deltas");
        }
    }

    #[test]
    fn a_damaged_pack_is_an_error_not_a_panic() {
        let dir = packed_repo(false);
        let pack_dir = dir.path().join(".git/objects/pack");
        let pack = std::fs::read_dir(&pack_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "pack"))
            .unwrap();
        let ids: Vec<Oid> = {
            let packs = Packs::open(&dir.path().join(".git"));
            let p = &packs.packs[0];
            (0..p.offsets.len())
                .map(|i| Oid::from_bytes(&p.ids[20 * i..20 * i + 20]).unwrap())
                .collect()
        };
        let good = std::fs::read(&pack).unwrap();
        let mut perms = std::fs::metadata(&pack).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&pack, perms).unwrap();
        // Every 40th byte flipped in turn, across the whole pack: each entry read either
        // rebuilds or fails, and nothing panics or runs away.
        for at in (12..good.len() - 20).step_by(good.len() / 40) {
            let mut bad = good.clone();
            bad[at] ^= 0x5a;
            std::fs::write(&pack, &bad).unwrap();
            let packs = Packs::open(&dir.path().join(".git"));
            let mut reader = Reader::new(&packs, 1 << 20);
            for id in &ids {
                if let Some(loc) = packs.locate(id) {
                    let _ = reader.size(loc);
                    if let Ok(data) = reader.read(loc) {
                        reader.recycle(data);
                    }
                }
            }
        }
    }
}
