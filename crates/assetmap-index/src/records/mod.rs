//! The engine's records: each asset kept as its compact binary form ([`encoding`], which the
//! snapshot writes too), compressed one by one with a zstd dictionary trained on the engine's
//! own assets, and decoded when asked for.
//!
//! Why: an [`Asset`] in memory is about 1.6 KiB (its strings, lists and their allocations); the
//! same record encoded is about 600 bytes and, compressed against a dictionary of what records
//! share (vocabulary, phrases of descriptions, the source and its licence), about 150–200.
//! Everything a query tests for every candidate is kept apart, uncompressed — each slot's id here,
//! its position and filterable facets in the engine — so a record is decoded only for what a
//! caller is handed (a page of results, one asset).
//!
//! A record is its asset's name, uncompressed, then one zstd frame — two with a view
//! ([`AssetView`]: the asset as the caller hands it on, rendered once and kept beside it, so
//! that handing it out decodes nothing). The name is kept apart because grouping the records of
//! one site reads the names of nearby candidates: decompressing a record for its name was 3.5 %
//! of a search with words at a million assets, and reading the whole record (its view as it is,
//! in the file) for it 2.4 %; it costs a record its name's length again. A dictionary
//! (one for each) is trained once, when the engine is built from its assets (or read back from
//! a snapshot with the records it compressed), and kept for records written later. Fewer than
//! [`MIN_SAMPLES`] assets, or a training that fails, compress without one (small engines: the
//! saving does not matter).
//!
//! A record kept in the engine's snapshot file keeps its view's bytes as they are, not
//! compressed (its *file form*; the asset's frame is compressed in both): there the operating
//! system's cache holds them, not the process, and handing a view out is one read straight into
//! the caller's buffer, nothing decompressed — decompressing 20 features was a quarter of the
//! time a page of nearest results took at a million assets. The file is larger for it (about
//! 1.4 KB a record with a GeoJSON view, against 500 bytes).

pub(crate) mod encoding;

use crate::bytes::{In, Out};
use crate::error::SnapshotError;
use assetmap_core::Asset;
use std::cell::RefCell;
use std::fmt;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use zstd_safe::{CCtx, CDict, DCtx, DDict};

/// Bytes read from the start of a record in the snapshot file for its name alone (a name of up
/// to 127 bytes and its one-byte length; a longer one takes a second read).
const NAME_READ: usize = 128;
/// The zstd level records are compressed at (3, zstd's default: its decompression speed is the
/// same at every level, and higher levels cost the build more than they save).
const LEVEL: i32 = 3;
/// The dictionary's size in bytes.
const DICTIONARY_BYTES: usize = 64 * 1024;
/// At most this many records are sampled to train the dictionary.
const MAX_SAMPLES: usize = 8_192;
/// Below this many assets no dictionary is trained.
pub(crate) const MIN_SAMPLES: usize = 256;

/// A trained dictionary, ready for both directions.
struct Dictionary {
    raw: Vec<u8>,
    compress: CDict<'static>,
    decompress: DDict<'static>,
}

impl Dictionary {
    /// The dictionary trained on `samples` (laid end to end, `sizes` long), when training works.
    fn train(samples: &[u8], sizes: &[usize]) -> Option<Arc<Dictionary>> {
        let mut raw = Vec::with_capacity(DICTIONARY_BYTES);
        zstd_safe::train_from_buffer(&mut raw, samples, sizes).ok()?;
        Dictionary::load(raw).ok().flatten()
    }

    /// The dictionary `raw` (from a snapshot); `None` for an empty one.
    fn load(raw: Vec<u8>) -> Result<Option<Arc<Dictionary>>, SnapshotError> {
        if raw.is_empty() {
            return Ok(None);
        }
        let compress = CDict::try_create(&raw, LEVEL)
            .ok_or_else(|| SnapshotError::corrupt("the records' dictionary does not load"))?;
        let decompress = DDict::try_create(&raw)
            .ok_or_else(|| SnapshotError::corrupt("the records' dictionary does not load"))?;
        Ok(Some(Arc::new(Dictionary {
            raw,
            compress,
            decompress,
        })))
    }
}

/// The bytes of an optional dictionary (empty for none).
fn raw_of(d: &Option<Arc<Dictionary>>) -> &[u8] {
    d.as_ref().map_or(&[], |d| &d.raw)
}

/// A form the engine keeps each asset in as well, ready to be handed out as it is: what a
/// caller would otherwise make from the decoded asset for every result it sends (the server's
/// is the asset as a GeoJSON feature, so that a page of search results is each one's bytes
/// decompressed and copied, not decoded and written out again). The engine knows nothing of
/// the form: it renders each asset once, when the asset is stored, compresses the bytes with
/// a dictionary of their own beside the record, and hands them back
/// ([`Engine::search_rendered`](crate::Engine::search_rendered)).
///
/// # Examples
/// ```
/// use assetmap_index::{AssetView, Engine};
/// use std::sync::Arc;
/// struct NameView;
/// impl AssetView for NameView {
///     fn form(&self) -> &str { "name/1" }
///     fn render(&self, asset: &assetmap_core::Asset, out: &mut Vec<u8>) {
///         out.extend_from_slice(asset.name.as_str().as_bytes());
///     }
/// }
/// let assets = assetmap_synthetic::assets(1, 300);
/// let engine = Engine::with_view(assets.clone(), Arc::new(NameView));
/// assert_eq!(engine.view_form(), Some("name/1"));
/// let mut out = Vec::new();
/// assert!(engine.render(assets[7].id.as_str(), &mut out));
/// assert_eq!(out, assets[7].name.as_str().as_bytes());
/// ```
pub trait AssetView: Send + Sync {
    /// The form's name and version ("geojson-feature/1"): a snapshot keeps it, and one written
    /// with another form is not read with this one. Change it whenever `render` changes.
    fn form(&self) -> &str;
    /// Appends `asset` in this form to `out`.
    fn render(&self, asset: &Asset, out: &mut Vec<u8>);
}

/// The view records carry, and the dictionary its bytes are compressed with.
#[derive(Clone)]
struct ViewCodec {
    view: Arc<dyn AssetView>,
    dictionary: Option<Arc<Dictionary>>,
}

/// How records are compressed: with a dictionary, or without one; and the view each record
/// carries beside its asset, when the engine has one ([`AssetView`]).
///
/// A record is its asset's name (its length in bytes as LEB128, then its UTF-8 bytes), then the
/// asset's binary form compressed (one zstd frame) — with a view, that frame preceded by its
/// length (LEB128) and followed by the view's bytes compressed (a second frame, with the view's
/// own dictionary), so that either is decompressed without the other, and the name read
/// without either.
#[derive(Clone, Default)]
pub(crate) struct Codec {
    dictionary: Option<Arc<Dictionary>>,
    view: Option<ViewCodec>,
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("dictionary_bytes", &self.dictionary_bytes().len())
            .field("view", &self.view_form())
            .field("view_dictionary_bytes", &self.view_dictionary_bytes().len())
            .finish()
    }
}

thread_local! {
    static COMPRESSOR: RefCell<CCtx<'static>> = RefCell::new(CCtx::create());
    static DECOMPRESSOR: RefCell<DCtx<'static>> = RefCell::new(DCtx::create());
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `asset` in its binary form.
fn encode(asset: &Asset) -> Vec<u8> {
    let mut out = Out::default();
    encoding::write(&mut out, asset);
    out.buf
}

/// `plain` compressed into one zstd frame appended to `out`.
fn squeeze(dictionary: &Option<Arc<Dictionary>>, plain: &[u8], out: &mut Vec<u8>) {
    let before = out.len();
    // zstd writes a slice from its start (into a `Vec` it would write over what is there).
    out.resize(before + zstd_safe::compress_bound(plain.len()), 0);
    let done = COMPRESSOR.with_borrow_mut(|c| match dictionary {
        Some(d) => c.compress_using_cdict(&mut out[before..], plain, &d.compress),
        None => c.compress(&mut out[before..], plain, LEVEL),
    });
    // Only a destination smaller than the bound fails.
    debug_assert!(done.is_ok(), "zstd: {done:?}");
    out.truncate(before + done.unwrap_or(0));
}

/// The zstd frame `frame` decompressed, appended to `out`.
fn unsqueeze(
    dictionary: &Option<Arc<Dictionary>>,
    frame: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), SnapshotError> {
    let size = match zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= 1 << 24 => size as usize,
        _ => return Err(SnapshotError::corrupt("a record is not a zstd frame")),
    };
    let before = out.len();
    out.resize(before + size, 0);
    let done = DECOMPRESSOR.with_borrow_mut(|d| match dictionary {
        Some(dict) => d.decompress_using_ddict(&mut out[before..], frame, &dict.decompress),
        None => d.decompress(&mut out[before..], frame),
    });
    if done != Ok(size) {
        out.truncate(before);
        return Err(SnapshotError::corrupt("a record does not decompress"));
    }
    Ok(())
}

/// Appends `n` as a LEB128 variable-length integer.
fn push_leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let low = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// A LEB128 length of up to four bytes at the start of `bytes`: `(length, bytes it took)`.
fn read_leb128(bytes: &[u8]) -> Result<(usize, usize), SnapshotError> {
    let mut len: usize = 0;
    for (i, &b) in bytes.iter().enumerate().take(4) {
        len |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((len, i + 1));
        }
    }
    Err(SnapshotError::corrupt("a record's length does not read"))
}

/// Splits a record (in either form) into its asset's name, kept first and uncompressed, and
/// the rest of the record after it.
fn split_name(record: &[u8]) -> Result<(&str, &[u8]), SnapshotError> {
    let (len, took) = read_leb128(record)?;
    let rest = &record[took..];
    if len > rest.len() {
        return Err(SnapshotError::corrupt("a record is shorter than its name"));
    }
    let (name, rest) = rest.split_at(len);
    let name = std::str::from_utf8(name)
        .map_err(|_| SnapshotError::corrupt("a record's name is not UTF-8"))?;
    Ok((name, rest))
}

/// How many bytes at the start of a record hold its name ([`split_name`]), when `head` (the
/// record's first bytes) says.
fn name_bytes(head: &[u8]) -> Result<usize, SnapshotError> {
    let (len, took) = read_leb128(head)?;
    Ok(took + len)
}

/// Splits the rest of a record of a codec with a view (after its name) into its asset's frame
/// and its view's frame.
fn split(record: &[u8]) -> Result<(&[u8], &[u8]), SnapshotError> {
    let (len, took) = read_leb128(record)?;
    let rest = &record[took..];
    if len <= rest.len() {
        Ok(rest.split_at(len))
    } else {
        Err(SnapshotError::corrupt("a record is shorter than it says"))
    }
}

impl Codec {
    /// A codec whose dictionary is trained on (a sample of) `assets`, carrying `view` (with a
    /// dictionary trained on the same sample rendered) when one is given.
    pub(crate) fn train(assets: &[Asset], view: Option<Arc<dyn AssetView>>) -> Codec {
        let n = assets.len();
        let sample = || assets.iter().step_by(n.div_ceil(MAX_SAMPLES).max(1));
        let trained = |write: &dyn Fn(&Asset, &mut Vec<u8>)| {
            if n < MIN_SAMPLES {
                return None;
            }
            let mut samples = Vec::new();
            let mut sizes = Vec::new();
            for a in sample() {
                let before = samples.len();
                write(a, &mut samples);
                sizes.push(samples.len() - before);
            }
            Dictionary::train(&samples, &sizes)
        };
        let dictionary = trained(&|a, out| out.extend_from_slice(&encode(a)));
        let view = view.map(|view| ViewCodec {
            dictionary: trained(&|a, out| view.render(a, out)),
            view,
        });
        Codec { dictionary, view }
    }

    /// A codec using `raw` as its dictionary (from a snapshot; empty for none) and, with a view,
    /// `view_raw` as the view's.
    pub(crate) fn with_dictionaries(
        raw: Vec<u8>,
        view: Option<(Arc<dyn AssetView>, Vec<u8>)>,
    ) -> Result<Codec, SnapshotError> {
        let view = match view {
            Some((view, raw)) => Some(ViewCodec {
                view,
                dictionary: Dictionary::load(raw)?,
            }),
            None => None,
        };
        Ok(Codec {
            dictionary: Dictionary::load(raw)?,
            view,
        })
    }

    /// The dictionary's bytes (empty for none).
    pub(crate) fn dictionary_bytes(&self) -> &[u8] {
        raw_of(&self.dictionary)
    }

    /// The view's dictionary's bytes (empty for none, or without a view).
    pub(crate) fn view_dictionary_bytes(&self) -> &[u8] {
        self.view.as_ref().map_or(&[], |v| raw_of(&v.dictionary))
    }

    /// The form of the view records carry ([`AssetView::form`]).
    pub(crate) fn view_form(&self) -> Option<&str> {
        self.view.as_ref().map(|v| v.view.form())
    }

    /// `asset` compressed (with its view, when the codec has one).
    pub(crate) fn compress(&self, asset: &Asset) -> Box<[u8]> {
        let plain = encode(asset);
        let name = asset.name.as_str().as_bytes();
        let mut out = Vec::new();
        push_leb128(&mut out, name.len());
        out.extend_from_slice(name);
        let Some(v) = &self.view else {
            squeeze(&self.dictionary, &plain, &mut out);
            return out.into_boxed_slice();
        };
        let mut frame = Vec::new();
        squeeze(&self.dictionary, &plain, &mut frame);
        out.reserve(frame.len() * 3);
        push_leb128(&mut out, frame.len());
        out.extend_from_slice(&frame);
        let mut rendered = Vec::new();
        v.view.render(asset, &mut rendered);
        squeeze(&v.dictionary, &rendered, &mut out);
        out.into_boxed_slice()
    }

    /// The asset `record` holds, or why it cannot be read.
    pub(crate) fn decode(&self, record: &[u8]) -> Result<Asset, SnapshotError> {
        let frame = self.asset_frame(record)?;
        SCRATCH.with_borrow_mut(|plain| {
            plain.clear();
            unsqueeze(&self.dictionary, frame, plain)?;
            let mut input = In::new(plain);
            let asset = encoding::read(&mut input)?;
            if !input.is_empty() {
                return Err(SnapshotError::corrupt("a record has bytes after its asset"));
            }
            Ok(asset)
        })
    }

    /// Appends the name of the asset `record` holds to `out`, decoding nothing: it is kept
    /// first in the record, uncompressed (only the record's first bytes are needed:
    /// [`name_bytes`]).
    pub(crate) fn decode_name(&self, record: &[u8], out: &mut String) -> Result<(), SnapshotError> {
        out.push_str(split_name(record)?.0);
        Ok(())
    }

    /// The asset's frame of `record`.
    fn asset_frame<'r>(&self, record: &'r [u8]) -> Result<&'r [u8], SnapshotError> {
        let (_, rest) = split_name(record)?;
        match self.view {
            Some(_) => Ok(split(rest)?.0),
            None => Ok(rest),
        }
    }

    /// The view's bytes of `record` (compressed in memory, as they are in the file form).
    fn view_part<'r>(&self, record: &'r [u8]) -> Result<&'r [u8], SnapshotError> {
        let (_, rest) = split_name(record)?;
        Ok(split(rest)?.1)
    }

    /// Appends the view `record` carries to `out` (rendered afresh from its asset when the
    /// view's bytes do not decompress, which a record this codec wrote never does); an error
    /// for a codec without a view, or a record that cannot be read at all.
    pub(crate) fn render(&self, record: &[u8], out: &mut Vec<u8>) -> Result<(), SnapshotError> {
        let Some(v) = &self.view else {
            return Err(SnapshotError::corrupt("the engine keeps no view"));
        };
        let frame = self.view_part(record)?;
        if unsqueeze(&v.dictionary, frame, out).is_err() {
            v.view.render(&self.decode(record)?, out);
        }
        Ok(())
    }

    /// Appends `record` in its file form to `out`: its view's bytes decompressed, as the
    /// snapshot file keeps them (see the module documentation); the record as it is without a
    /// view.
    pub(crate) fn file_form(&self, record: &[u8], out: &mut Vec<u8>) -> Result<(), SnapshotError> {
        if self.view.is_none() {
            out.extend_from_slice(record);
            return Ok(());
        }
        let view = self.view_part(record)?;
        let before = out.len();
        out.extend_from_slice(&record[..record.len() - view.len()]);
        if let Err(e) = self.render(record, out) {
            out.truncate(before);
            return Err(e);
        }
        Ok(())
    }

    /// The length of `record` in its file form ([`file_form`](Self::file_form)), read from its
    /// view's frame header (zstd keeps the size of what it compressed there) rather than by
    /// decompressing the view; by decompressing it only for a frame that does not say.
    pub(crate) fn file_form_len(&self, record: &[u8]) -> Result<usize, SnapshotError> {
        if self.view.is_none() {
            return Ok(record.len());
        }
        let view = self.view_part(record)?;
        match zstd_safe::get_frame_content_size(view) {
            Ok(Some(n)) => Ok(record.len() - view.len() + n as usize),
            _ => {
                let mut file_form = Vec::with_capacity(record.len() * 8);
                self.file_form(record, &mut file_form)?;
                Ok(file_form.len())
            }
        }
    }

    /// The record kept in memory for `file_record`, a record in its file form: its view's
    /// bytes compressed again; the record as it is without a view.
    pub(crate) fn memory_form(&self, file_record: &[u8]) -> Result<Box<[u8]>, SnapshotError> {
        let Some(v) = &self.view else {
            return Ok(file_record.into());
        };
        let view = self.view_part(file_record)?;
        let mut out = Vec::with_capacity(file_record.len() / 3);
        out.extend_from_slice(&file_record[..file_record.len() - view.len()]);
        squeeze(&v.dictionary, view, &mut out);
        Ok(out.into_boxed_slice())
    }

    /// The part of `record` (in either form) that [`decode`](Self::decode) reads: without its
    /// view's bytes (the whole record without a view, or when it does not split).
    pub(crate) fn asset_part<'r>(&self, record: &'r [u8]) -> &'r [u8] {
        match (&self.view, self.view_part(record)) {
            (Some(_), Ok(view)) => &record[..record.len() - view.len()],
            _ => record,
        }
    }

    /// Where the view starts in `file_record`, a record in its file form: the view is the
    /// bytes from there to its end.
    fn view_start_in_file(&self, file_record: &[u8]) -> Result<usize, SnapshotError> {
        if self.view.is_none() {
            return Err(SnapshotError::corrupt("the engine keeps no view"));
        }
        let view = self.view_part(file_record)?;
        Ok(file_record.len() - view.len())
    }
}

/// A live slot: the asset's id (kept apart, uncompressed: the engine finds slots by id) and
/// its compressed record — or where the record is in the engine's snapshot file — in one
/// allocation: a header byte (bit 7 set for a record in the file; bits 0–6 the id's length, or
/// 127 and four bytes of length for an id of 127 bytes or more, which [`AssetId::parse`] never
/// makes), the id, then the record, or its offset (8 bytes) and length (4 bytes) in the file.
/// One allocation and a 16-byte slot, where an id and a record apart took two and 40 bytes.
///
/// [`AssetId::parse`]: assetmap_core::AssetId::parse
pub(crate) struct Record(Box<[u8]>);

/// The header bit of a record kept in the snapshot file.
const IN_FILE: u8 = 0x80;
/// The id length that says a four-byte length follows.
const LONG_ID: u8 = 0x7F;

/// Where a record is.
pub(crate) enum Stored<'a> {
    /// In memory: its compressed bytes.
    Memory(&'a [u8]),
    /// In the snapshot file: its offset in the record region and its length, in bytes.
    File { at: u64, len: u32 },
}

impl Record {
    fn with_header(id: &str, in_file: bool, payload: &[u8]) -> Record {
        let mut bytes = Vec::with_capacity(5 + id.len() + payload.len());
        let flag = if in_file { IN_FILE } else { 0 };
        match u8::try_from(id.len()) {
            Ok(n) if n < LONG_ID => bytes.push(flag | n),
            _ => {
                bytes.push(flag | LONG_ID);
                bytes.extend_from_slice(&(id.len() as u32).to_le_bytes());
            }
        }
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(payload);
        Record(bytes.into_boxed_slice())
    }

    /// The record of the asset `id`, compressed as `compressed`, kept in memory.
    pub(crate) fn new(id: &str, compressed: &[u8]) -> Record {
        Record::with_header(id, false, compressed)
    }

    /// The record of the asset `id`, `len` bytes at offset `at` of the snapshot file's record
    /// region.
    pub(crate) fn in_file(id: &str, at: u64, len: u32) -> Record {
        let mut place = [0u8; 12];
        place[..8].copy_from_slice(&at.to_le_bytes());
        place[8..].copy_from_slice(&len.to_le_bytes());
        Record::with_header(id, true, &place)
    }

    /// Where the id starts, and its length.
    #[inline]
    fn id_span(&self) -> (usize, usize) {
        match self.0.first().map(|h| h & !IN_FILE) {
            Some(LONG_ID) => {
                let n = self
                    .0
                    .get(1..5)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, u32::from_le_bytes);
                (5, n as usize)
            }
            Some(n) => (1, usize::from(n)),
            None => (0, 0),
        }
    }

    /// The asset's id.
    #[inline]
    pub(crate) fn id(&self) -> &str {
        // Written from a `&str` (`new`), so always UTF-8.
        std::str::from_utf8(self.id_bytes()).unwrap_or_default()
    }

    /// The asset's id as bytes (ordered as the text is).
    #[inline]
    pub(crate) fn id_bytes(&self) -> &[u8] {
        let (at, n) = self.id_span();
        self.0.get(at..at + n).unwrap_or_default()
    }

    /// Where the compressed record is.
    #[inline]
    pub(crate) fn stored(&self) -> Stored<'_> {
        let (at, n) = self.id_span();
        let payload = self.0.get(at + n..).unwrap_or_default();
        if self.0.first().is_some_and(|h| h & IN_FILE != 0) {
            let at = payload
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_le_bytes);
            let len = payload
                .get(8..12)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, u32::from_le_bytes);
            Stored::File { at, len }
        } else {
            Stored::Memory(payload)
        }
    }

    /// Bytes on the heap.
    fn heap_bytes(&self) -> usize {
        self.0.len()
    }
}

thread_local! {
    /// A record read from the snapshot file.
    static READ: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Bytes of the snapshot file's record region checked together: each region's checksum is
/// tested the first time a record in it is read ([`RecordFile`]).
pub(crate) const REGION_CHUNK: usize = 64 * 1024;

/// The CRC-32 of each [`REGION_CHUNK`] of a stream of bytes (the last chunk may be shorter),
/// fed in pieces of any length.
#[derive(Default)]
pub(crate) struct ChunkChecksums {
    hasher: crc32fast::Hasher,
    filled: usize,
    crcs: Vec<u32>,
    total: u64,
}

impl ChunkChecksums {
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        while !bytes.is_empty() {
            let take = (REGION_CHUNK - self.filled).min(bytes.len());
            self.hasher.update(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == REGION_CHUNK {
                let full = std::mem::take(&mut self.hasher);
                self.crcs.push(full.finalize());
                self.filled = 0;
            }
        }
    }

    /// Bytes fed so far.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Every chunk's checksum, the last (partial) chunk's included.
    pub(crate) fn finish(mut self) -> Vec<u32> {
        if self.filled > 0 {
            self.crcs.push(self.hasher.finalize());
        }
        self.crcs
    }
}

/// A chunk of the record region not read yet, read and sound, or damaged.
const UNCHECKED: u8 = 0;
const SOUND: u8 = 1;
const DAMAGED: u8 = 2;

/// The engine's snapshot file, which records kept in it are read from: its record region
/// (`len` bytes from `base`; a record's place is an offset into it), checked [`REGION_CHUNK`]
/// by [`REGION_CHUNK`] against the checksums the snapshot wrote — each chunk the first time a
/// record in it is read, so that a start reads none of the region and nothing damaged is
/// handed out. A damaged chunk's records cannot be read ([`RecordFile::damaged`] says so).
pub(crate) struct RecordFile {
    file: std::fs::File,
    base: u64,
    len: u64,
    crcs: Box<[u32]>,
    state: Box<[AtomicU8]>,
    damaged: AtomicBool,
}

impl RecordFile {
    /// The record region `len` bytes long at `base` in `file`, with each chunk's checksum.
    pub(crate) fn new(file: std::fs::File, base: u64, len: u64, crcs: Vec<u32>) -> RecordFile {
        let state = crcs.iter().map(|_| AtomicU8::new(UNCHECKED)).collect();
        RecordFile {
            file,
            base,
            len,
            crcs: crcs.into_boxed_slice(),
            state,
            damaged: AtomicBool::new(false),
        }
    }

    /// Whether a chunk of the region was found damaged.
    pub(crate) fn damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// Reads `buf.len()` bytes at offset `at` of the record region, checking the chunks they
    /// lie in first (once each).
    fn read_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<()> {
        let end = at
            .checked_add(buf.len() as u64)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| std::io::Error::other("a record lies outside the snapshot's region"))?;
        if !buf.is_empty() {
            let chunk = REGION_CHUNK as u64;
            for i in at / chunk..=(end - 1) / chunk {
                self.check_chunk(i as usize)?;
            }
        }
        read_exact_at(&self.file, buf, self.base + at)
    }

    /// Checks chunk `i` against its checksum, unless it was checked before.
    fn check_chunk(&self, i: usize) -> std::io::Result<()> {
        let damaged = || {
            std::io::Error::new(
                ErrorKind::InvalidData,
                "the engine snapshot's record region is damaged",
            )
        };
        let state = self.state.get(i).ok_or_else(damaged)?;
        match state.load(Ordering::Acquire) {
            SOUND => return Ok(()),
            DAMAGED => return Err(damaged()),
            _ => {}
        }
        let start = i as u64 * REGION_CHUNK as u64;
        let len = (self.len - start).min(REGION_CHUNK as u64) as usize;
        let sound = CHUNK.with_borrow_mut(|buf| {
            buf.resize(len, 0);
            read_exact_at(&self.file, buf, self.base + start)?;
            Ok::<_, std::io::Error>(crc32fast::hash(buf) == self.crcs[i])
        })?;
        if sound {
            state.store(SOUND, Ordering::Release);
            Ok(())
        } else {
            state.store(DAMAGED, Ordering::Release);
            self.damaged.store(true, Ordering::Relaxed);
            Err(damaged())
        }
    }
}

/// The check of every record an engine keeps in its snapshot file ([`crate::Engine::records_check`]):
/// the file's record region read from start to end, each part not checked yet checked against its
/// checksum. Run once after a start, off the request path: the records need not wait for it (each
/// part is checked when first read anyway), but afterwards no search pays for a check, damage is
/// found at once rather than when a record happens to be read, and the operating system keeps the
/// region in its cache as read in order — in large pages, which made reading a page of results
/// about 8 % cheaper at a million assets than after reads here and there.
pub struct RecordsCheck(Arc<RecordFile>);

impl RecordsCheck {
    /// Reads and checks the whole region; returns its length in bytes, or the first damage or
    /// read error found (a damaged part's records cannot be handed out, and
    /// [`crate::Engine::snapshot_damaged`] says so).
    pub fn run(&self) -> std::io::Result<u64> {
        for i in 0..self.0.crcs.len() {
            self.0.check_chunk(i)?;
        }
        Ok(self.0.len)
    }
}

impl fmt::Debug for RecordsCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordsCheck")
            .field("bytes", &self.0.len)
            .finish()
    }
}

thread_local! {
    /// A chunk of the record region read to be checked.
    static CHUNK: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reads `buf.len()` bytes at offset `at` of `file`.
pub(crate) fn read_exact_at(file: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n =
                std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], at + done as u64)?;
            if n == 0 {
                return Err(ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (file, buf, at);
        Err(ErrorKind::Unsupported.into())
    }
}

/// Every slot's record (`None` for a free slot), the codec they are compressed with, and the
/// snapshot file that records kept in a file are read from.
#[derive(Default)]
pub(crate) struct Records {
    codec: Codec,
    slots: Vec<Option<Record>>,
    file: Option<Arc<RecordFile>>,
}

impl Records {
    /// The records of `assets`, one slot each in the order given, compressed on all cores with
    /// a dictionary trained on them; the slots in `free` are left free.
    /// With a `view`, each record carries the asset rendered in it too ([`AssetView`]).
    pub(crate) fn build(
        assets: &[Asset],
        free: &[u32],
        view: Option<Arc<dyn AssetView>>,
    ) -> Records {
        let codec = Codec::train(assets, view);
        let mut slots: Vec<Option<Record>> = on_all_cores(assets, |a| {
            Some(Record::new(a.id.as_str(), &codec.compress(a)))
        });
        for &s in free {
            slots[s as usize] = None;
        }
        Records {
            codec,
            slots,
            file: None,
        }
    }

    /// Records read back (from a snapshot) with the codec that compressed them, and the file
    /// those kept in a file are in.
    pub(crate) fn from_parts(
        codec: Codec,
        slots: Vec<Option<Record>>,
        file: Option<Arc<RecordFile>>,
    ) -> Records {
        Records { codec, slots, file }
    }

    /// Calls `f` with the bytes of `record` in its file form (see the module documentation);
    /// `None` when they cannot be read.
    pub(crate) fn with_file_form<T>(
        &self,
        record: &Record,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Option<T> {
        match record.stored() {
            Stored::Memory(bytes) if self.codec.view.is_some() => {
                let mut file_form = Vec::with_capacity(bytes.len() * 8);
                self.codec.file_form(bytes, &mut file_form).ok()?;
                Some(f(&file_form))
            }
            _ => self.with_stored(record, f),
        }
    }

    /// Calls `f` with the bytes of `record` as it is kept: in memory, or read from the file
    /// (its file form; the asset's frame reads the same in both); `None` when they cannot be
    /// read.
    pub(crate) fn with_stored<T>(&self, record: &Record, f: impl FnOnce(&[u8]) -> T) -> Option<T> {
        match record.stored() {
            Stored::Memory(bytes) => Some(f(bytes)),
            Stored::File { at, len } => {
                let file = self.file.as_ref()?;
                READ.with_borrow_mut(|buf| {
                    buf.clear();
                    buf.resize(len as usize, 0);
                    file.read_at(buf, at).ok()?;
                    Some(f(buf))
                })
            }
        }
    }

    /// Keeps `file` as the snapshot file that records kept in a file are read from.
    pub(crate) fn set_file(&mut self, file: Arc<RecordFile>) {
        self.file = Some(file);
    }

    /// Every slot, to be changed in place (reading a snapshot's records into memory).
    pub(crate) fn slots_mut(&mut self) -> &mut [Option<Record>] {
        &mut self.slots
    }

    /// The length in bytes of `record` in its file form ([`with_file_form`](Self::with_file_form)),
    /// reading nothing for a record kept in the file; `None` when it cannot be made.
    pub(crate) fn file_form_len(&self, record: &Record) -> Option<usize> {
        match record.stored() {
            Stored::File { len, .. } => Some(len as usize),
            Stored::Memory(bytes) => self.codec.file_form_len(bytes).ok(),
        }
    }

    /// The check of the records kept in the snapshot file, when there is one.
    pub(crate) fn check(&self) -> Option<RecordsCheck> {
        self.file.clone().map(RecordsCheck)
    }

    /// Whether part of the snapshot file's record region was found damaged when read: its
    /// records cannot be handed out, and the snapshot should not be used again.
    pub(crate) fn file_damaged(&self) -> bool {
        self.file.as_ref().is_some_and(|f| f.damaged())
    }

    /// How many records are kept in the snapshot file rather than in memory.
    pub(crate) fn in_file(&self) -> usize {
        self.slots
            .iter()
            .flatten()
            .filter(|r| matches!(r.stored(), Stored::File { .. }))
            .count()
    }

    /// The codec records are compressed with.
    pub(crate) fn codec(&self) -> &Codec {
        &self.codec
    }

    /// Number of slots, live and free.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Every slot (`None` for a free one).
    pub(crate) fn slots(&self) -> &[Option<Record>] {
        &self.slots
    }

    /// Whether `slot` holds an asset.
    pub(crate) fn is_live(&self, slot: u32) -> bool {
        self.slots.get(slot as usize).is_some_and(Option::is_some)
    }

    /// The id of the asset in `slot`.
    #[inline]
    pub(crate) fn id(&self, slot: u32) -> Option<&str> {
        self.slots
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map(Record::id)
    }

    /// The id of the asset in `slot`, as bytes.
    #[inline]
    pub(crate) fn id_bytes(&self, slot: u32) -> Option<&[u8]> {
        self.slots
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map(Record::id_bytes)
    }

    /// The asset in `slot`, decoded. A record that cannot be read (the snapshot file failing,
    /// or found damaged) reads as a free slot; so does one that does not decode (never written
    /// so: a bug), which fails debug builds.
    pub(crate) fn get(&self, slot: u32) -> Option<Asset> {
        let record = self.slots.get(slot as usize)?.as_ref()?;
        let decoded = self.with_stored(record, |bytes| self.codec.decode(bytes));
        debug_assert!(
            !matches!(decoded, Some(Err(_))),
            "record of {}: {decoded:?}",
            record.id()
        );
        decoded?.ok()
    }

    /// Appends the name of the asset in `slot` to `out`, decoding nothing else; false for a
    /// free slot, a record that cannot be read, or one that does not decode (a bug, which
    /// fails debug builds).
    pub(crate) fn name(&self, slot: u32, out: &mut String) -> bool {
        let Some(record) = self.slots.get(slot as usize).and_then(Option::as_ref) else {
            return false;
        };
        let done = match record.stored() {
            Stored::Memory(bytes) => Some(self.codec.decode_name(bytes, out)),
            Stored::File { at, len } => self.name_from_file(at, len, out),
        };
        debug_assert!(
            !matches!(done, Some(Err(_))),
            "name of {}: {done:?}",
            record.id()
        );
        matches!(done, Some(Ok(())))
    }

    /// Appends the name of the record `len` bytes at `at` in the snapshot file to `out`,
    /// reading only its first bytes (the name is first: [`name_bytes`]); `None` when it cannot
    /// be read.
    fn name_from_file(
        &self,
        at: u64,
        len: u32,
        out: &mut String,
    ) -> Option<Result<(), SnapshotError>> {
        let file = self.file.as_ref()?;
        READ.with_borrow_mut(|buf| {
            // Most names fit the first read; a longer one is read again whole.
            let mut want = (len as usize).min(NAME_READ);
            loop {
                buf.clear();
                buf.resize(want, 0);
                file.read_at(buf, at).ok()?;
                match name_bytes(buf) {
                    Ok(need) if need > want && need <= len as usize => want = need,
                    Ok(_) => return Some(self.codec.decode_name(buf, out)),
                    Err(e) => return Some(Err(e)),
                }
            }
        })
    }

    /// Appends the view of the asset in `slot` to `out` ([`AssetView`]); false for a free slot,
    /// an engine without a view, a record that cannot be read, or one that does not decode (a
    /// bug, which fails debug builds).
    pub(crate) fn render(&self, slot: u32, out: &mut Vec<u8>) -> bool {
        let Some(record) = self.slots.get(slot as usize).and_then(Option::as_ref) else {
            return false;
        };
        if self.codec.view.is_none() {
            return false;
        }
        let done = match record.stored() {
            Stored::Memory(bytes) => self.codec.render(bytes, out),
            Stored::File { at, len } => self.render_from_file(at, len, out),
        };
        debug_assert!(
            !matches!(done, Err(SnapshotError::Corrupt(_))),
            "view of {}: {done:?}",
            record.id()
        );
        done.is_ok()
    }

    /// The records of `slots` kept in the snapshot file, read in as few reads as their places
    /// allow (none without a view: only views are read this way): records less than [`READ_GAP`] bytes apart are read in one (the engine lays its
    /// slots out along a Hilbert curve, so a page of neighbours is a few reads, not one each).
    /// Records kept in memory, free slots and reads that fail are left out
    /// ([`render_ahead`](Self::render_ahead) reads those one by one).
    pub(crate) fn read_ahead(&self, slots: &[u32]) -> ReadAhead {
        let mut ahead = ReadAhead::default();
        let (Some(file), Some(_)) = (&self.file, &self.codec.view) else {
            return ahead;
        };
        let mut places: Vec<(u64, u32, u32)> = slots
            .iter()
            .filter_map(|&s| match self.slots.get(s as usize)?.as_ref()?.stored() {
                Stored::File { at, len } => Some((at, len, s)),
                Stored::Memory(_) => None,
            })
            .collect();
        places.sort_unstable();
        // The runs to read, `(start, end, first place, past the last)`: first all of them, so
        // that the buffer is allocated once, at its size.
        let mut runs: Vec<(u64, u64, usize, usize)> = Vec::new();
        let mut i = 0;
        while i < places.len() {
            let start = places[i].0;
            let mut end = start + u64::from(places[i].1);
            let mut j = i + 1;
            while let Some(&(at, len, _)) = places.get(j) {
                let next_end = end.max(at + u64::from(len));
                if at > end + READ_GAP || next_end - start > MAX_READ {
                    break;
                }
                end = next_end;
                j += 1;
            }
            runs.push((start, end, i, j));
            i = j;
        }
        let total: u64 = runs.iter().map(|&(start, end, _, _)| end - start).sum();
        ahead.bytes.reserve_exact(total as usize);
        for (start, end, i, j) in runs {
            let base = ahead.bytes.len();
            ahead.bytes.resize(base + (end - start) as usize, 0);
            ahead.reads += 1;
            if file.read_at(&mut ahead.bytes[base..], start).is_ok() {
                for &(at, len, slot) in &places[i..j] {
                    let from = base + (at - start) as usize;
                    ahead.spans.push((slot, from, from + len as usize));
                }
            } else {
                ahead.bytes.truncate(base);
            }
        }
        ahead.spans.sort_unstable();
        ahead
    }

    /// [`render`](Self::render), from `ahead` when it holds the slot's record.
    pub(crate) fn render_ahead(&self, ahead: &ReadAhead, slot: u32, out: &mut Vec<u8>) -> bool {
        let Some(bytes) = ahead.get(slot).filter(|_| self.codec.view.is_some()) else {
            return self.render(slot, out);
        };
        match self.codec.view_start_in_file(bytes) {
            Ok(view_at) => {
                out.extend_from_slice(&bytes[view_at..]);
                true
            }
            Err(e) => {
                debug_assert!(false, "view of slot {slot}: {e}");
                false
            }
        }
    }

    /// Appends the view of the record in its file form, `len` bytes at `at` in the snapshot
    /// file, to `out`: read into `out` and the bytes before the view dropped.
    fn render_from_file(&self, at: u64, len: u32, out: &mut Vec<u8>) -> Result<(), SnapshotError> {
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| SnapshotError::corrupt("a record is in a file the engine lacks"))?;
        let start = out.len();
        out.resize(start + len as usize, 0);
        let read = file
            .read_at(&mut out[start..], at)
            .map_err(SnapshotError::Io)
            .and_then(|()| self.codec.view_start_in_file(&out[start..]));
        match read {
            Ok(view_at) => {
                out.copy_within(start + view_at.., start);
                out.truncate(out.len() - view_at);
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    /// Keeps `asset` in `slot` (one past the last slot adds a slot); returns what was there.
    pub(crate) fn set(&mut self, slot: u32, asset: &Asset) -> Option<Asset> {
        let record = Record::new(asset.id.as_str(), &self.codec.compress(asset));
        let s = slot as usize;
        if s == self.slots.len() {
            self.slots.push(Some(record));
            return None;
        }
        let old = self.get(slot);
        self.slots[s] = Some(record);
        old
    }

    /// Frees `slot`; returns the asset it held.
    pub(crate) fn take(&mut self, slot: u32) -> Option<Asset> {
        let old = self.get(slot);
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = None;
        }
        old
    }

    /// Bytes on the heap: the slot table, each record with its id, and the dictionary
    /// (allocator overhead not counted).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Option<Record>>()
            + self
                .slots
                .iter()
                .flatten()
                .map(Record::heap_bytes)
                .sum::<usize>()
            + self.codec.dictionary_bytes().len()
    }
}

/// Records kept in the snapshot file closer than this many bytes are read in one read: a
/// system call costs about as much as copying this much from the operating system's cache.
const READ_GAP: u64 = 4 * 1024;
/// The most one read of [`Records::read_ahead`] takes in, in bytes.
const MAX_READ: u64 = 256 * 1024;

/// Some records read from the snapshot file together ([`Records::read_ahead`]).
#[derive(Default)]
pub(crate) struct ReadAhead {
    /// `(slot, start, end)` of each record in `bytes`, by slot.
    spans: Vec<(u32, usize, usize)>,
    bytes: Vec<u8>,
    /// How many reads it took.
    reads: usize,
}

impl ReadAhead {
    /// The bytes of the record in `slot`, when they were read.
    fn get(&self, slot: u32) -> Option<&[u8]> {
        let i = self.spans.binary_search_by_key(&slot, |s| s.0).ok()?;
        let (_, start, end) = self.spans[i];
        self.bytes.get(start..end)
    }
}

/// An owned copy of some of an engine's records, still compressed: taken quickly (a copy of
/// bytes) where a lock is held, and decoded after letting it go
/// ([`Engine::copy_records`](crate::Engine::copy_records)).
pub struct RecordsCopy {
    codec: Codec,
    /// The records one after another.
    bytes: Vec<u8>,
    /// Where each record ends in `bytes`.
    ends: Vec<usize>,
}

impl fmt::Debug for RecordsCopy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordsCopy")
            .field("records", &self.ends.len())
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl RecordsCopy {
    /// A copy of the records of `slots` (live ones; free slots are passed over), in that order.
    pub(crate) fn of(records: &Records, slots: &[u32]) -> RecordsCopy {
        let mut bytes = Vec::with_capacity(slots.len() * 192);
        let mut ends = Vec::with_capacity(slots.len());
        for r in slots
            .iter()
            .filter_map(|&s| records.slots.get(s as usize).and_then(Option::as_ref))
        {
            // The asset's part only: a view is not decoded (and in the file it is 1 KB).
            if records
                .with_stored(r, |b| bytes.extend_from_slice(records.codec.asset_part(b)))
                .is_some()
            {
                ends.push(bytes.len());
            }
        }
        RecordsCopy {
            codec: records.codec.clone(),
            bytes,
            ends,
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when it holds no record.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The assets, decoded on all cores, in order. A record that does not decode (never
    /// written so: a bug) is left out, as the engine reads it as a free slot.
    pub fn into_assets(self) -> Vec<Asset> {
        let spans: Vec<(usize, usize)> = self
            .ends
            .iter()
            .scan(0, |start, &end| {
                let span = (*start, end);
                *start = end;
                Some(span)
            })
            .collect();
        let (codec, bytes) = (&self.codec, &self.bytes);
        on_all_cores(&spans, |&(a, b)| codec.decode(bytes.get(a..b)?).ok())
            .into_iter()
            .flatten()
            .collect()
    }
}

/// `f` of each of `items`, in order, computed on all cores (the items cut into one run per core).
pub(crate) fn on_all_cores<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per_thread)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::AssetName;
    use assetmap_synthetic as synthetic;

    fn trained(assets: &[Asset]) -> Codec {
        let codec = Codec::train(assets, None);
        assert_eq!(codec.dictionary_bytes().len(), DICTIONARY_BYTES);
        codec
    }

    #[test]
    fn a_copy_of_records_decodes_to_the_assets_of_its_slots_in_order() {
        let assets = synthetic::assets(5, 1_000);
        // Slots 3 and 7 free.
        let records = Records::build(&assets, &[3, 7], None);
        let slots = [9, 3, 0, 7, 999, 5, 2_000];
        let copy = RecordsCopy::of(&records, &slots);
        assert_eq!(copy.len(), 4);
        let expected: Vec<Asset> = [9, 0, 999, 5].iter().map(|&i| assets[i].clone()).collect();
        assert_eq!(copy.into_assets(), expected);
        assert!(RecordsCopy::of(&records, &[]).into_assets().is_empty());
    }

    #[test]
    fn a_record_keeps_its_id_and_bytes_apart_whatever_their_lengths() {
        for id_len in [1, 16, 126, 127, 128, 255, 256, 70_000] {
            let id = "x".repeat(id_len);
            for compressed in [&[][..], &[7u8][..], &[0xFF; 300][..]] {
                let r = Record::new(&id, compressed);
                assert_eq!(r.id(), id.as_str(), "{id_len}");
                assert!(matches!(r.stored(), Stored::Memory(b) if b == compressed));
            }
            for (at, len) in [(0, 0), (17, 300), (u64::MAX, u32::MAX)] {
                let r = Record::in_file(&id, at, len);
                assert_eq!(r.id(), id.as_str(), "{id_len}");
                assert!(
                    matches!(r.stored(), Stored::File { at: a, len: l } if (a, l) == (at, len))
                );
            }
        }
        // The id's length in one byte up to 126, then in five; a place in the file is 12.
        assert_eq!(Record::new("abc", &[1, 2]).heap_bytes(), 1 + 3 + 2);
        assert_eq!(Record::new(&"y".repeat(127), &[]).heap_bytes(), 5 + 127);
        assert_eq!(Record::in_file("abc", 5, 6).heap_bytes(), 1 + 3 + 12);
    }

    #[test]
    fn a_record_reads_back_as_the_asset_written() {
        let assets = synthetic::assets(3, 2_000);
        for codec in [trained(&assets), Codec::default()] {
            for a in assets.iter().step_by(7) {
                assert_eq!(&codec.decode(&codec.compress(a)).unwrap(), a);
            }
        }
    }

    #[test]
    fn the_dictionary_makes_records_a_fraction_of_their_encoding() {
        let assets = synthetic::assets(5, 4_000);
        let (with, without) = (trained(&assets[..2_000]), Codec::default());
        // Measured on assets the dictionary was not trained on.
        let unseen = &assets[2_000..];
        let mean = |f: &dyn Fn(&Asset) -> usize| {
            unseen.iter().map(f).sum::<usize>() as f64 / unseen.len() as f64
        };
        let plain = mean(&|a| encode(a).len());
        let alone = mean(&|a| without.compress(a).len());
        let small = mean(&|a| with.compress(a).len());
        assert!(
            small < plain / 2.5,
            "{small:.0} B against {plain:.0} B encoded"
        );
        assert!(
            small < alone / 1.5,
            "{small:.0} B against {alone:.0} B without a dictionary"
        );
    }

    /// A view for tests: the id, a bar, the name.
    struct NameView;
    impl AssetView for NameView {
        fn form(&self) -> &str {
            "test-name/1"
        }
        fn render(&self, asset: &Asset, out: &mut Vec<u8>) {
            out.extend_from_slice(asset.id.as_str().as_bytes());
            out.push(b'|');
            out.extend_from_slice(asset.name.as_str().as_bytes());
        }
    }

    fn view_of(a: &Asset) -> Vec<u8> {
        let mut out = Vec::new();
        NameView.render(a, &mut out);
        out
    }

    #[test]
    fn a_record_carries_its_view_beside_its_asset_each_read_without_the_other() {
        let assets = synthetic::assets(4, 1_200);
        let codec = Codec::train(&assets, Some(Arc::new(NameView)));
        assert_eq!(codec.view_form(), Some("test-name/1"));
        assert!(!codec.view_dictionary_bytes().is_empty());
        for a in &assets[..300] {
            let record = codec.compress(a);
            assert_eq!(&codec.decode(&record).unwrap(), a);
            let mut out = b"before ".to_vec();
            codec.render(&record, &mut out).unwrap();
            assert_eq!(out[7..], view_of(a), "appended to what was there");
            // The record: the asset's frame's length (one or two bytes), that frame, the view's.
            let (frame, view) = split(&record).unwrap();
            let prefix = record.len() - frame.len() - view.len();
            assert!((1..=2).contains(&prefix), "{prefix}");
            assert!(record.ends_with(view));
        }
        // Read back from its dictionaries, as from a snapshot.
        let back = Codec::with_dictionaries(
            codec.dictionary_bytes().to_vec(),
            Some((Arc::new(NameView), codec.view_dictionary_bytes().to_vec())),
        )
        .unwrap();
        let record = codec.compress(&assets[9]);
        let mut out = Vec::new();
        back.render(&record, &mut out).unwrap();
        assert_eq!(out, view_of(&assets[9]));
        assert_eq!(back.decode(&record).unwrap(), assets[9]);
        // Without a view there is nothing to render.
        assert!(trained(&assets).render(&record, &mut out).is_err());
    }

    #[test]
    fn a_record_in_its_file_form_keeps_its_view_as_it_is_and_reads_back_the_same() {
        let assets = synthetic::assets(5, 900);
        let codec = Codec::train(&assets, Some(Arc::new(NameView)));
        for a in &assets[..200] {
            let record = codec.compress(a);
            let mut file = b"before ".to_vec();
            codec.file_form(&record, &mut file).unwrap();
            let file = &file[7..];
            assert!(file.ends_with(&view_of(a)), "the view as it is, last");
            let view_at = codec.view_start_in_file(file).unwrap();
            assert_eq!(&file[view_at..], view_of(a));
            assert_eq!(codec.asset_part(file), codec.asset_part(&record));
            assert_eq!(
                &codec.decode(file).unwrap(),
                a,
                "the asset's frame is the same"
            );
            // Back in memory: the view compressed again, rendering and decoding as before.
            let memory = codec.memory_form(file).unwrap();
            assert!(memory.len() < file.len());
            let mut out = Vec::new();
            codec.render(&memory, &mut out).unwrap();
            assert_eq!(out, view_of(a));
            assert_eq!(&codec.decode(&memory).unwrap(), a);
        }
        // Without a view both forms are the record.
        let plain = trained(&assets);
        let record = plain.compress(&assets[1]);
        let mut file = Vec::new();
        plain.file_form(&record, &mut file).unwrap();
        assert_eq!(file, &record[..]);
        assert_eq!(plain.memory_form(&file).unwrap(), record);
        assert!(plain.view_start_in_file(&file).is_err());
        // A file record that does not split is an error, not a panic.
        assert!(codec.memory_form(&[0xFF, 0xFF]).is_err());
        assert!(codec.view_start_in_file(&[]).is_err());
    }

    /// Records of `assets` as an engine reading its snapshot keeps them: all but the last in a
    /// file (end to end, then from `gaps_from` on each after a gap wider than [`READ_GAP`]),
    /// the last in memory, and one free slot after them.
    fn records_in_file(codec: Codec, assets: &[Asset], gaps_from: usize, tag: &str) -> Records {
        let (in_memory, in_file) = assets.split_last().expect("at least one asset");
        let mut file_bytes = Vec::new();
        let mut slots = Vec::new();
        for (i, a) in in_file.iter().enumerate() {
            if i >= gaps_from {
                file_bytes.resize(file_bytes.len() + READ_GAP as usize + 1, 0);
            }
            let at = file_bytes.len() as u64;
            codec
                .file_form(&codec.compress(a), &mut file_bytes)
                .unwrap();
            let len = (file_bytes.len() as u64 - at) as u32;
            slots.push(Some(Record::in_file(a.id.as_str(), at, len)));
        }
        slots.push(Some(Record::new(
            in_memory.id.as_str(),
            &codec.compress(in_memory),
        )));
        slots.push(None);
        let path = std::env::temp_dir().join(format!("assetmap-{tag}-{}", std::process::id()));
        std::fs::write(&path, &file_bytes).unwrap();
        let mut sums = ChunkChecksums::default();
        sums.update(&file_bytes);
        let file = RecordFile::new(
            std::fs::File::open(&path).unwrap(),
            0,
            file_bytes.len() as u64,
            sums.finish(),
        );
        let records = Records::from_parts(codec, slots, Some(Arc::new(file)));
        std::fs::remove_file(&path).unwrap();
        records
    }

    #[test]
    fn a_records_file_form_length_is_known_without_making_it() {
        let assets = synthetic::assets(8, 300);
        for view in [None, Some(Arc::new(NameView) as Arc<dyn AssetView>)] {
            let codec = Codec::train(&assets, view);
            for a in &assets {
                let record = codec.compress(a);
                let mut file_form = Vec::new();
                codec.file_form(&record, &mut file_form).unwrap();
                assert_eq!(codec.file_form_len(&record).unwrap(), file_form.len());
            }
        }
    }

    #[test]
    fn chunk_checksums_are_each_chunks_however_the_bytes_are_fed() {
        let bytes: Vec<u8> = (0..REGION_CHUNK * 2 + 1000)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let expected: Vec<u32> = bytes.chunks(REGION_CHUNK).map(crc32fast::hash).collect();
        for piece in [1, 999, REGION_CHUNK, REGION_CHUNK + 1, bytes.len()] {
            let mut sums = ChunkChecksums::default();
            bytes.chunks(piece).for_each(|p| sums.update(p));
            assert_eq!(sums.total(), bytes.len() as u64);
            assert_eq!(sums.finish(), expected, "fed {piece} bytes at a time");
        }
        assert!(ChunkChecksums::default().finish().is_empty());
    }

    #[test]
    fn records_near_each_other_in_the_file_are_read_together_and_render_as_one_by_one() {
        let assets = synthetic::assets(6, 700);
        let codec = Codec::train(&assets, Some(Arc::new(NameView)));
        // Slots 0–59 end to end, then 60–79 each after a gap wider than READ_GAP; slot 80 is
        // kept in memory, slot 81 is free.
        let records = records_in_file(codec, &assets[..81], 60, "read-ahead");
        let one_by_one = |slot: u32| {
            let mut out = Vec::new();
            records.render(slot, &mut out).then_some(out)
        };
        // Twenty neighbours, asked for in any order: one read.
        let near: Vec<u32> = (10..30).rev().chain([5, 40]).collect();
        let ahead = records.read_ahead(&near);
        assert_eq!(ahead.reads, 1);
        // Records apart, in memory or free: a read each for those apart, none for the others.
        let mixed = [2, 61, 80, 63, 81, 3];
        let apart = records.read_ahead(&mixed);
        assert_eq!(apart.reads, 3);
        for (ahead, asked) in [(&ahead, &near[..]), (&apart, &mixed[..])] {
            for &slot in asked {
                let mut out = b"before ".to_vec();
                let rendered = records.render_ahead(ahead, slot, &mut out);
                assert_eq!(
                    rendered.then(|| out[7..].to_vec()),
                    one_by_one(slot),
                    "{slot}"
                );
                if slot < 81 {
                    assert_eq!(out[7..], view_of(&assets[slot as usize]));
                }
            }
        }
        assert!(one_by_one(81).is_none());
    }

    #[test]
    fn a_damaged_record_with_a_view_is_an_error_or_some_view_never_a_panic() {
        let assets = synthetic::assets(8, 600);
        let codec = Codec::train(&assets, Some(Arc::new(NameView)));
        let record = codec.compress(&assets[5]);
        let mut out = Vec::new();
        assert!(codec.render(&[], &mut out).is_err());
        assert!(codec.render(&record[..2], &mut out).is_err());
        assert!(
            codec.decode(&record[..record.len() - 3]).is_ok(),
            "the asset's frame is whole"
        );
        for i in 0..record.len() {
            let mut bad = record.to_vec();
            bad[i] ^= 0x5a;
            out.clear();
            let _ = codec.render(&bad, &mut out);
            let _ = codec.decode(&bad);
        }
        // A view frame that does not decompress is rendered afresh from the asset.
        let mut cut = record.to_vec();
        cut.truncate(record.len() - 3);
        out.clear();
        codec.render(&cut, &mut out).unwrap();
        assert_eq!(out, view_of(&assets[5]));
    }

    #[test]
    fn a_records_name_reads_alone_as_the_asset_decoded_has_it() {
        let mut assets = synthetic::assets(10, 400);
        // Names longer than one read of a record's head, in bytes (ASCII, then two bytes a
        // character), and one of a single character.
        let long = ["N".repeat(200), "é".repeat(150), "x".to_owned()];
        for (a, name) in assets.iter_mut().zip(&long) {
            a.name = AssetName::parse(name).unwrap();
        }
        for codec in [
            trained(&assets),
            Codec::train(&assets, Some(Arc::new(NameView))),
        ] {
            for a in &assets[..100] {
                let record = codec.compress(a);
                let mut name = String::from("before ");
                codec.decode_name(&record, &mut name).unwrap();
                assert_eq!(name, format!("before {}", a.name.as_str()));
                assert_eq!(codec.decode(&record).unwrap().name, a.name);
                // Its first bytes alone hold it, uncompressed; one byte fewer does not.
                let head = name_bytes(&record).unwrap();
                assert!(head <= a.name.as_str().len() + 2);
                let mut alone = String::new();
                codec.decode_name(&record[..head], &mut alone).unwrap();
                assert_eq!(alone, a.name.as_str());
                assert!(codec.decode_name(&record[..head - 1], &mut alone).is_err());
            }
            let mut name = String::new();
            assert!(codec.decode_name(&[], &mut name).is_err());
            // Not UTF-8.
            assert!(codec.decode_name(&[2, 0xff, 0xfe], &mut name).is_err());
        }
        // Kept in the file, a name is read from the record's head (twice for a long one), in
        // memory from the record.
        let codec = Codec::train(&assets, Some(Arc::new(NameView)));
        let records = records_in_file(codec, &assets[..51], 50, "names");
        for (slot, a) in assets[..51].iter().enumerate() {
            let mut name = String::from("before ");
            assert!(records.name(slot as u32, &mut name), "{slot}");
            assert_eq!(name, format!("before {}", a.name.as_str()), "{slot}");
        }
        assert!(!records.name(51, &mut String::new()));
    }

    #[test]
    fn few_assets_get_no_dictionary() {
        let assets = synthetic::assets(1, MIN_SAMPLES - 1);
        assert!(Codec::train(&assets, None).dictionary_bytes().is_empty());
    }

    #[test]
    fn a_damaged_record_is_an_error_or_another_asset_never_a_panic() {
        let assets = synthetic::assets(9, 600);
        let codec = trained(&assets);
        let record = codec.compress(&assets[3]);
        assert!(codec.decode(&record[..record.len() / 2]).is_err());
        assert!(codec.decode(&[]).is_err());
        assert!(codec.decode(b"not a zstd frame at all").is_err());
        assert!(
            Codec::default().decode(&record).is_err(),
            "needs its dictionary"
        );
        for i in 0..record.len() {
            let mut bad = record.to_vec();
            bad[i] ^= 0x5a;
            let _ = codec.decode(&bad);
        }
    }

    #[test]
    fn a_dictionary_read_back_works_as_the_one_trained() {
        assert!(Codec::with_dictionaries(Vec::new(), None)
            .unwrap()
            .dictionary_bytes()
            .is_empty());
        let assets = synthetic::assets(2, 600);
        let raw = trained(&assets).dictionary_bytes().to_vec();
        let back = Codec::with_dictionaries(raw.clone(), None).unwrap();
        assert_eq!(back.dictionary_bytes(), raw);
        assert_eq!(back.decode(&back.compress(&assets[0])).unwrap(), assets[0]);
    }
}
