//! Archives as a source: zip and its kin (jar, war, apk, whl, nupkg, docx, odt …), tar, and
//! gzip, bzip2, xz and zstd streams (tar inside them too: `.tar.gz`, `.tgz`, `.tar.xz`,
//! `.tar.zst`, npm packages, Ruby gems), recognised by their first bytes whatever their name.
//! Members are read in memory, one at a time, never written to disk; an archive inside an
//! archive is opened in turn, up to a depth.
//!
//! Hostile archives are bounded: each member by `--max-file-size`, all that one outermost
//! archive expands to by a budget, a member or stream that inflates far beyond its
//! compressed size is a bomb, and an archive with too many members stops. Each limit hit is
//! one warning naming the archive and the reason, counted in the summary; the members before
//! it, and every other file, are still scanned.

use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::sync::Arc;

use crate::content::{Content, Provenance};
use crate::source::image::{self, Names};
use crate::source::{Sink, Skip};

/// What an archive is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Format {
    /// Whether it can be read front to back with nothing but a reader (zip needs to seek; the
    /// xz decoder wants to own its input).
    fn streams(self) -> bool {
        !matches!(self, Format::Zip | Format::Xz)
    }
}

/// The archive format `data` starts with, if any.
pub fn sniff(data: &[u8]) -> Option<Format> {
    let starts = |magic: &[u8]| data.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if starts(&[0x1f, 0x8b]) {
        Some(Format::Gzip)
    } else if starts(b"BZh") && data.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        Some(Format::Bzip2)
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Format::Xz)
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Format::Zstd)
    } else if data.len() >= 512 && &data[257..262] == b"ustar" {
        Some(Format::Tar)
    } else {
        None
    }
}

/// How many archives deep `scan`, `git` and `staged` open by default.
pub const DEFAULT_DEPTH: usize = 3;

/// How far archives are opened.
#[derive(Debug, Clone)]
pub struct Limits {
    /// How many archives deep (`--archive-depth`; 0 opens none).
    pub depth: usize,
    /// Largest member read (`--max-file-size`).
    pub max_member: u64,
    /// All the bytes one outermost archive may expand to, nested ones included.
    pub budget: u64,
    /// A member or stream larger than 1 MiB that expands more than this many times its
    /// compressed size is a bomb. Text compresses 5 to 20 times, logs up to 100.
    pub ratio: u64,
    /// Members opened in one outermost archive.
    pub max_members: usize,
}

impl Limits {
    pub fn new(depth: usize, max_member: u64) -> Limits {
        Limits {
            depth,
            max_member,
            budget: 1 << 30,
            ratio: 250,
            max_members: 100_000,
        }
    }
}

/// Below this, a high ratio is no threat.
const RATIO_FLOOR: u64 = 1 << 20;
/// xz and zstd decoders allocate the window a stream declares: at most this much.
const MAX_WINDOW: usize = 64 << 20;

/// Opens the archive file `file` (of `format`, `len` bytes) and hands each member to
/// `sink`, reading it as it goes: an archive too large to hold in memory (a saved image).
pub fn expand_file(
    provenance: Provenance,
    file: std::fs::File,
    len: u64,
    format: Format,
    limits: &Limits,
    sink: &dyn Sink,
) {
    // A large archive may expand to more than the usual budget: eight times its size.
    let limits = &Limits {
        budget: limits.budget.max(len.saturating_mul(8)),
        ..limits.clone()
    };
    let mut x = Expansion::new(limits, sink);
    let archive = Arc::new(provenance);
    let second = file.try_clone();
    let owned = move || -> Box<dyn Read> {
        match second {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => Box::new(Failing(Some(e))),
        }
    };
    if let Err(stop) = x.open_reader(&archive, BufReader::new(file), len, format, owned) {
        x.stopped(&archive, stop);
    }
}

/// A decoder of the compressed stream `r` (of a `format` that `streams`, tar aside).
fn decoder<'r>(format: Format, r: &'r mut dyn Read) -> Result<Box<dyn Read + 'r>, Stop> {
    Ok(match format {
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        Format::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(r)
                .map_err(|e| Stop::Corrupt(format!("zstd: {e}")))?,
        ),
        Format::Zip | Format::Xz | Format::Tar => {
            return Err(Stop::Corrupt(format!("{format:?} is not read as a stream")))
        }
    })
}

/// A reader whose first read fails with the error it was given.
struct Failing(Option<std::io::Error>);

impl Read for Failing {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| std::io::Error::other("unreadable")))
    }
}

/// Opens the archive `content` (of `format`) and hands each member to `sink`.
pub fn expand(content: &Content, format: Format, limits: &Limits, sink: &dyn Sink) {
    let mut x = Expansion::new(limits, sink);
    let archive = Arc::new(content.provenance.clone());
    if let Err(stop) = x.open(&archive, content.bytes, format) {
        x.stopped(&archive, stop);
    }
}

/// Why an archive's expansion stopped.
enum Stop {
    /// Corrupt or truncated: the rest cannot be read.
    Corrupt(String),
    /// A limit: the rest is not read.
    Limit(String),
}

struct Expansion<'a> {
    limits: &'a Limits,
    sink: &'a dyn Sink,
    /// Bytes expanded so far, against `limits.budget`.
    expanded: u64,
    members: usize,
}

impl<'a> Expansion<'a> {
    fn new(limits: &'a Limits, sink: &'a dyn Sink) -> Expansion<'a> {
        Expansion {
            limits,
            sink,
            expanded: 0,
            members: 0,
        }
    }

    fn open(&mut self, archive: &Arc<Provenance>, data: &[u8], format: Format) -> Result<(), Stop> {
        let owned = || -> Box<dyn Read> { Box::new(Cursor::new(data.to_vec())) };
        self.open_reader(archive, Cursor::new(data), data.len() as u64, format, owned)
    }

    /// Opens the archive that `r` reads (`len` bytes). `owned` reads it too, for the xz
    /// decoder, which wants a reader it owns.
    fn open_reader<R: Read + Seek>(
        &mut self,
        archive: &Arc<Provenance>,
        mut r: R,
        len: u64,
        format: Format,
        owned: impl FnOnce() -> Box<dyn Read>,
    ) -> Result<(), Stop> {
        self.sink.opened_archive();
        match format {
            Format::Zip => self.zip(archive, r),
            Format::Tar => {
                // A saved container image names its layers and config (`image`).
                let names = image::names(&mut r);
                if let Some(n) = &names {
                    self.sink.opened_image(n.images as u64, n.layers as u64);
                }
                r.seek(SeekFrom::Start(0)).map_err(stop_of)?;
                self.tar(archive, &mut r, names.as_ref())
            }
            Format::Xz => {
                let decoder = xz4rust::XzDecoder::in_heap_with_alloc_dict_size(
                    xz4rust::DICT_SIZE_MIN,
                    MAX_WINDOW,
                );
                let mut reader = xz4rust::XzReader::new_with_buffer_size_and_decoder(
                    owned(),
                    std::num::NonZeroUsize::new(64 << 10).expect("not zero"),
                    decoder,
                );
                self.stream(archive, len, &mut reader, None)
            }
            Format::Gzip | Format::Bzip2 | Format::Zstd => {
                // A compressed saved image (`docker save | gzip`) is read twice: once for
                // the names of its parts, which come last.
                let names = self.streamed_image_names(&mut r, format);
                if let Some(n) = &names {
                    self.sink.opened_image(n.images as u64, n.layers as u64);
                }
                r.seek(SeekFrom::Start(0)).map_err(stop_of)?;
                let mut decoder = decoder(format, &mut r)?;
                self.stream(archive, len, &mut decoder, names.as_ref())
            }
        }
    }

    /// Opens an archive that `format.streams()` from a reader that cannot seek (a member of
    /// a tar), `len` bytes.
    fn open_stream(
        &mut self,
        archive: &Arc<Provenance>,
        r: &mut dyn Read,
        len: u64,
        format: Format,
    ) -> Result<(), Stop> {
        match format {
            Format::Tar => self.tar(archive, r, None),
            _ => self.stream(archive, len, &mut decoder(format, r)?, None),
        }
    }

    /// The names of the parts of the saved image that the compressed stream `r` holds, if
    /// it starts like one: read through to its end (within the budget), then `r` is rewound.
    fn streamed_image_names<R: Read + Seek>(&self, r: &mut R, format: Format) -> Option<Names> {
        let head = {
            let mut head = Vec::with_capacity(512);
            decoder(format, &mut *r)
                .ok()?
                .take(512)
                .read_to_end(&mut head)
                .ok()?;
            head
        };
        let first = head.get(..100)?;
        let first = &first[..first.iter().position(|&b| b == 0).unwrap_or(100)];
        if sniff(&head) != Some(Format::Tar)
            || !image::may_be_image(&String::from_utf8_lossy(first))
        {
            return None;
        }
        r.seek(SeekFrom::Start(0)).ok()?;
        let budget = self.limits.budget.saturating_sub(self.expanded);
        image::names_streamed(decoder(format, &mut *r).ok()?.take(budget))
    }

    /// The end of a nested archive: a corrupt one stops only itself.
    fn nested(&self, inner: &Provenance, result: Result<(), Stop>) -> Result<(), Stop> {
        match result {
            Err(Stop::Corrupt(why)) => {
                self.sink
                    .error(format!("{}: cannot read: {why}", inner.label()));
                Ok(())
            }
            other => other,
        }
    }

    fn zip(&mut self, archive: &Arc<Provenance>, reader: impl Read + Seek) -> Result<(), Stop> {
        let mut zip =
            zip::ZipArchive::new(reader).map_err(|e| Stop::Corrupt(format!("zip: {e}")))?;
        for i in 0..zip.len() {
            let (name, size, packed, encrypted, file) = {
                let m = zip
                    .by_index_raw(i)
                    .map_err(|e| Stop::Corrupt(format!("zip: {e}")))?;
                (
                    String::from_utf8_lossy(m.name_raw()).into_owned(),
                    m.size(),
                    m.compressed_size(),
                    m.encrypted(),
                    m.is_file() && !m.is_symlink(),
                )
            };
            if !file {
                continue;
            }
            self.count()?;
            let label = || format!("{}!{name}", archive.label());
            if encrypted {
                self.sink.skipped(&label(), Skip::Encrypted);
                continue;
            }
            if !self.sink.wants(&label, size) {
                continue;
            }
            let bytes = match zip.by_index(i) {
                Ok(mut m) => self.read(&mut m, &label, Some(packed)),
                Err(e) => Err(Stop::Corrupt(format!("member {name}: {e}"))),
            };
            match bytes {
                Ok(Some(bytes)) => self.member(archive, name, &bytes)?,
                Ok(None) => {}
                // One bad member of a zip does not hide the others (each has its own offset).
                Err(Stop::Corrupt(why)) => {
                    self.sink.error(format!("{}: cannot read: {why}", label()))
                }
                Err(limit) => return Err(limit),
            }
        }
        Ok(())
    }

    fn tar(
        &mut self,
        archive: &Arc<Provenance>,
        reader: &mut dyn Read,
        names: Option<&Names>,
    ) -> Result<(), Stop> {
        let mut tar = tar::Archive::new(reader);
        let entries = tar.entries().map_err(stop_of)?;
        for entry in entries {
            let mut entry = entry.map_err(stop_of)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            // Shown as written, `../` and leading `/` included: nothing is extracted.
            let mut name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if let Some(shown) = names.and_then(|n| n.parts.get(name.trim_start_matches("./"))) {
                name = shown.clone();
            }
            self.count()?;
            let label = || format!("{}!{name}", archive.label());
            let size = entry.size();
            if size > self.limits.max_member {
                // Too large to hold, but an archive (an image's layer) is read as it streams.
                let mut head = Vec::with_capacity(512);
                (&mut entry)
                    .take(512)
                    .read_to_end(&mut head)
                    .map_err(stop_of)?;
                let inner = Provenance::Member {
                    archive: archive.clone(),
                    member: name.clone(),
                };
                let streamable = sniff(&head).filter(|f| f.streams());
                if let (Some(format), true) =
                    (streamable, inner.archive_depth() < self.limits.depth)
                {
                    let inner = Arc::new(inner);
                    self.sink.opened_archive();
                    let mut r = Cursor::new(head).chain(&mut entry);
                    let result = self.open_stream(&inner, &mut r, size, format);
                    self.nested(&inner, result)?;
                    continue;
                }
            }
            if !self.sink.wants(&label, size) {
                continue;
            }
            if let Some(bytes) = self.read(&mut entry, &label, None)? {
                self.member(archive, name, &bytes)?;
            }
        }
        Ok(())
    }

    /// A compressed stream: a tar inside it is opened as it streams; anything else is one
    /// member, named after the archive without its compression suffix.
    fn stream(
        &mut self,
        archive: &Arc<Provenance>,
        packed: u64,
        decoder: &mut dyn Read,
        names: Option<&Names>,
    ) -> Result<(), Stop> {
        let mut guard = Guard {
            inner: decoder,
            out: 0,
            packed,
            ratio: self.limits.ratio,
        };
        let mut head = Vec::with_capacity(512);
        (&mut guard)
            .take(512)
            .read_to_end(&mut head)
            .map_err(stop_of)?;
        if sniff(&head) == Some(Format::Tar) {
            return self.tar(archive, &mut Cursor::new(&head).chain(&mut guard), names);
        }
        let name = unsuffixed(archive.path());
        let label = || format!("{}!{name}", archive.label());
        let mut rest = Cursor::new(head).chain(&mut guard);
        if let Some(bytes) = self.read(&mut rest, &label, None)? {
            self.member(archive, name.clone(), &bytes)?;
        }
        Ok(())
    }

    /// Counts a member against `max_members`.
    fn count(&mut self) -> Result<(), Stop> {
        self.members += 1;
        if self.members > self.limits.max_members {
            return Err(Stop::Limit(format!(
                "more than {} members",
                self.limits.max_members
            )));
        }
        Ok(())
    }

    /// A member's bytes, within `--max-file-size`, the budget and the ratio limit; None when
    /// it is skipped (and counted) for its size.
    fn read(
        &mut self,
        r: &mut dyn Read,
        label: &dyn Fn() -> String,
        packed: Option<u64>,
    ) -> Result<Option<Vec<u8>>, Stop> {
        let cap = self
            .limits
            .max_member
            .min(self.limits.budget - self.expanded);
        let mut bytes = Vec::new();
        r.take(cap + 1).read_to_end(&mut bytes).map_err(stop_of)?;
        let n = bytes.len() as u64;
        self.expanded += n.min(cap);
        if let Some(packed) = packed {
            if n > RATIO_FLOOR && n > packed.saturating_mul(self.limits.ratio) {
                return Err(Stop::Limit(format!(
                    "{} expands over {} times its compressed size (a zip bomb?)",
                    label(),
                    self.limits.ratio
                )));
            }
        }
        if n > cap {
            if cap < self.limits.max_member {
                return Err(Stop::Limit(format!(
                    "expands to more than {} MiB",
                    self.limits.budget >> 20
                )));
            }
            // Its stated size was smaller: counted as too large, as if it had said so.
            self.sink.wants(label, n);
            return Ok(None);
        }
        Ok(Some(bytes))
    }

    /// Hands a member over, or opens it when it is an archive itself and the depth allows.
    fn member(
        &mut self,
        archive: &Arc<Provenance>,
        name: String,
        bytes: &[u8],
    ) -> Result<(), Stop> {
        let provenance = Provenance::Member {
            archive: archive.clone(),
            member: name,
        };
        match sniff(bytes) {
            Some(_) if provenance.archive_depth() >= self.limits.depth => {
                self.sink.skipped(&provenance.label(), Skip::TooDeep);
                Ok(())
            }
            Some(format) => {
                let inner = Arc::new(provenance);
                let result = self.open(&inner, bytes, format);
                self.nested(&inner, result)
            }
            _ => {
                self.sink.content(Content {
                    provenance,
                    bytes,
                    delta: None,
                    reused_by: 0,
                });
                Ok(())
            }
        }
    }

    fn stopped(&self, archive: &Provenance, stop: Stop) {
        match stop {
            Stop::Corrupt(why) => self
                .sink
                .error(format!("{}: cannot read: {why}", archive.label())),
            Stop::Limit(why) => {
                self.sink.skipped(&archive.label(), Skip::ArchiveLimit);
                self.sink.note(format!(
                    "{}: {why}: the rest of the archive is not scanned",
                    archive.label()
                ));
            }
        }
    }
}

/// A decompressing reader that fails once its output outgrows `ratio` times the whole
/// compressed input (and 1 MiB): a bomb is stopped while it streams, before any of it is held.
struct Guard<R> {
    inner: R,
    out: u64,
    packed: u64,
    ratio: u64,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > RATIO_FLOOR && self.out > self.packed.saturating_mul(self.ratio) {
            return Err(std::io::Error::other(BOMB));
        }
        Ok(n)
    }
}

const BOMB: &str = "expands over the ratio limit of its compressed size (a compression bomb?)";

/// A read error: the guard's (the tar reader wraps it), or damage.
fn stop_of(e: std::io::Error) -> Stop {
    let why = e.to_string();
    if why.contains(BOMB) {
        Stop::Limit(BOMB.to_string())
    } else {
        Stop::Corrupt(why)
    }
}

/// `config.json.gz` → `config.json`; a name with no such suffix, or none, is kept whole.
fn unsuffixed(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    for suffix in [".gz", ".bz2", ".xz", ".zst", ".tgz"] {
        if let Some(stem) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
            return stem.to_string();
        }
    }
    if name.is_empty() {
        "-".to_string()
    } else {
        name.to_string()
    }
}
