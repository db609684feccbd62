//! The engine written to a file and read back: what a start reads instead of every row of the
//! store and every index built afresh.
//!
//! The layout is this crate's own (no other program reads it): a magic line, then frames, each
//! `length (u64) · CRC-32 (u32) · bytes`, so damage anywhere is found before it is used. The
//! first frame holds the format number, a fingerprint of the vocabularies and the caller's tag
//! (the server keeps there which store, at which change, which build) and the form of the view
//! records carry, if any ([`crate::AssetView`]); then the slots, the records' zstd dictionaries
//! (the asset's and the view's), the assets in blocks — each slot's id, its packed facets
//! (position, dates, filterable attributes: 39 bytes, 47 with a verification date; checked on
//! reading) and its record's length — and the text index's dictionary and chunks. The R-tree
//! and the tile index are rebuilt from the facets (under a second at 1M): writing them would
//! cost more file than they cost time.
//!
//! Last comes the *record region*: every record in its file form (its name, the asset
//! compressed, its view as it is: [`crate::records`]), one after another in slot order, not
//! framed; then a frame of its checksums, one CRC-32 per [`REGION_CHUNK`] (64 KiB), and that
//! frame's place in the file (`u64`). An engine that keeps its records in memory reads the
//! region and checks it whole before it is used. One that keeps them in the file
//! ([`SnapshotReader::open_file`]) does not read it at all: each 64 KiB is checked the first
//! time a record in it is read, and the records of a damaged part are not handed out
//! ([`Engine::snapshot_damaged`]). At a million assets with a GeoJSON view the region is 1.4 GB
//! of the file's 1.56, so such a start reads a tenth of the file — from a cold disk cache, the
//! difference between 3–5 s and 1.5.
//!
//! A snapshot is a cache: anything unexpected in it is a [`SnapshotError`], on which the
//! caller builds the engine from the store instead.

use crate::bytes::{In, Out};
use crate::engine::Engine;
pub use crate::error::SnapshotError;
use crate::facets::SlotFacets;
use crate::records::{
    on_all_cores, read_exact_at, AssetView, ChunkChecksums, Codec, Record, RecordFile, Records,
    Stored, REGION_CHUNK,
};
use crate::text::TextIndex;
use assetmap_core::{AbcdType, AccessFeature, Category, CostBand, Status, Weekday};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// The first bytes of every snapshot file.
const MAGIC: &[u8; 16] = b"assetmap engine\n";

/// The layout's number: raised whenever what is written changes.
const FORMAT: u32 = 8;

/// Assets per frame of the asset section (a frame is decoded on one core).
const ASSETS_PER_FRAME: usize = 16_384;

/// A checksum of every vocabulary's slugs in order, and of the text index's vocabulary
/// (stop words, stem overrides, phrases kept as terms): assets keep a term as its place in its
/// vocabulary and the text index holds the terms its vocabulary made, so a snapshot written
/// with other vocabularies is stale.
fn vocabulary_fingerprint() -> u32 {
    let mut h = crc32fast::Hasher::new();
    let mut add = |slugs: &mut dyn Iterator<Item = &'static str>| {
        for s in slugs {
            h.update(s.as_bytes());
            h.update(b",");
        }
        h.update(b";");
    };
    add(&mut AbcdType::ALL.iter().map(|t| t.slug()));
    add(&mut Category::ALL.iter().map(|t| t.slug()));
    add(&mut AccessFeature::ALL.iter().map(|t| t.slug()));
    add(&mut Status::ALL.iter().map(|t| t.slug()));
    add(&mut CostBand::ALL.iter().map(|t| t.slug()));
    add(&mut Weekday::ALL.iter().map(|t| t.slug()));
    for term in crate::text::index_vocabulary() {
        h.update(term.as_bytes());
        h.update(b",");
    }
    h.finalize()
}

/// Writes frames to `W`.
pub(crate) struct FrameWriter<W: Write> {
    w: W,
    /// Where in the file the next byte goes.
    at: u64,
}

impl<W: Write> FrameWriter<W> {
    pub(crate) fn frame(&mut self, out: Out) -> Result<(), SnapshotError> {
        self.w.write_all(&(out.buf.len() as u64).to_le_bytes())?;
        self.w.write_all(&crc32fast::hash(&out.buf).to_le_bytes())?;
        self.w.write_all(&out.buf)?;
        self.at += FRAME_HEAD as u64 + out.buf.len() as u64;
        Ok(())
    }

    /// Writes `bytes` as they are, outside any frame.
    fn raw(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        self.w.write_all(bytes)?;
        self.at += bytes.len() as u64;
        Ok(())
    }
}

/// Bytes before a frame's own: its length and checksum.
const FRAME_HEAD: usize = 12;

/// Reads frames from `R`, checking each one's checksum.
pub(crate) struct FrameReader<R: Read> {
    r: R,
    /// Where in the file the next frame starts.
    at: u64,
}

impl<R: Read> FrameReader<R> {
    /// The next frame's bytes, unchecked (so that the check can run on another core), and
    /// where in the file they start.
    fn next_placed(&mut self) -> Result<(Vec<u8>, u32, u64), SnapshotError> {
        let mut head = [0u8; FRAME_HEAD];
        self.r.read_exact(&mut head).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => SnapshotError::corrupt("the file ends early"),
            _ => SnapshotError::Io(e),
        })?;
        let len = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
        let crc = u32::from_le_bytes(head[8..].try_into().unwrap_or_default());
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= 1 << 36)
            .ok_or_else(|| SnapshotError::corrupt("a frame's length is not believable"))?;
        let mut buf = Vec::new();
        (&mut self.r)
            .take(len as u64)
            .read_to_end(&mut buf)
            .map_err(SnapshotError::Io)?;
        if buf.len() != len {
            return Err(SnapshotError::corrupt("the file ends early"));
        }
        let start = self.at + head.len() as u64;
        self.at = start + len as u64;
        Ok((buf, crc, start))
    }

    pub(crate) fn next(&mut self) -> Result<Vec<u8>, SnapshotError> {
        let (buf, crc, _) = self.next_placed()?;
        checked(buf, crc)
    }

    /// Reads `buf.len()` bytes outside any frame.
    fn raw(&mut self, buf: &mut [u8]) -> Result<(), SnapshotError> {
        self.r.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => SnapshotError::corrupt("the file ends early"),
            _ => SnapshotError::Io(e),
        })?;
        self.at += buf.len() as u64;
        Ok(())
    }
}

fn checked(buf: Vec<u8>, crc: u32) -> Result<Vec<u8>, SnapshotError> {
    if crc32fast::hash(&buf) != crc {
        return Err(SnapshotError::corrupt("a frame's checksum does not match"));
    }
    Ok(buf)
}

fn ensure_read_all(input: &In<'_>, what: &str) -> Result<(), SnapshotError> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(SnapshotError::corrupt(format!(
            "{what} has bytes left over"
        )))
    }
}

impl Engine {
    /// Writes the engine to `w`, with `tag`: text of the caller's to tell later whether the
    /// snapshot still answers for its source (the server keeps the store, its change sequence
    /// number and its own build there). Buffer `w`: it gets many small writes.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{Engine, SnapshotReader};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 1_000));
    /// let mut file = Vec::new();
    /// engine.write_snapshot(&mut file, "store seq 42").unwrap();
    /// let snapshot = SnapshotReader::open(file.as_slice()).unwrap();
    /// assert_eq!(snapshot.tag(), "store seq 42");
    /// let read = snapshot.read_engine().unwrap();
    /// assert!(read.iter().eq(engine.iter()));
    /// ```
    pub fn write_snapshot(&self, w: impl Write, tag: &str) -> Result<(), SnapshotError> {
        let mut w = w;
        w.write_all(MAGIC)?;
        let mut frames = FrameWriter {
            w,
            at: MAGIC.len() as u64,
        };
        let mut head = Out::default();
        head.u32(FORMAT);
        head.u32(vocabulary_fingerprint());
        head.str(tag);
        head.opt_str(self.view_form());
        frames.frame(head)?;

        let (records, free, order) = self.slot_parts();
        let facets = self.all_slot_facets();
        let slots = records.slots();
        let mut meta = Out::default();
        meta.len(slots.len());
        meta.len(free.len());
        free.iter().for_each(|&s| meta.u32(s));
        meta.len(order.len());
        order.iter().for_each(|&s| meta.u32(s));
        frames.frame(meta)?;
        let mut dictionary = Out::default();
        dictionary
            .buf
            .extend_from_slice(records.codec().dictionary_bytes());
        frames.frame(dictionary)?;
        let mut view_dictionary = Out::default();
        view_dictionary
            .buf
            .extend_from_slice(records.codec().view_dictionary_bytes());
        frames.frame(view_dictionary)?;
        let unreadable = |r: &Record| {
            SnapshotError::Io(std::io::Error::other(format!(
                "the record of {} cannot be read from the engine's snapshot file",
                r.id()
            )))
        };
        // Each frame starts with where its first record is in the region, so that frames are
        // read on several cores without adding up the ones before.
        let mut region_at: u64 = 0;
        let mut lens: Vec<u32> = Vec::with_capacity(slots.len());
        for (block, packed) in slots
            .chunks(ASSETS_PER_FRAME)
            .zip(facets.chunks(ASSETS_PER_FRAME))
        {
            let mut out = Out::default();
            out.len(block.len());
            out.u64(region_at);
            for (slot, packed) in block.iter().zip(packed) {
                match slot {
                    Some(r) => {
                        out.u8(1);
                        out.str(r.id());
                        packed.write(&mut out);
                        let len = records
                            .file_form_len(r)
                            .and_then(|l| u32::try_from(l).ok())
                            .ok_or_else(|| unreadable(r))?;
                        out.u32(len);
                        lens.push(len);
                        region_at += u64::from(len);
                    }
                    None => out.u8(0),
                }
            }
            frames.frame(out)?;
        }
        self.text_index().write_snapshot(&mut frames)?;
        // The record region: every record in its file form, in slot order, one after another,
        // with a checksum per chunk written after it.
        let mut sums = ChunkChecksums::default();
        for (r, &len) in slots.iter().flatten().zip(&lens) {
            records
                .with_file_form(r, |bytes| {
                    if bytes.len() != len as usize {
                        return Err(unreadable(r));
                    }
                    sums.update(bytes);
                    frames.raw(bytes)
                })
                .ok_or_else(|| unreadable(r))??;
        }
        let region_len = sums.total();
        let descriptor_at = frames.at;
        let mut descriptor = Out::default();
        descriptor.u64(region_len);
        descriptor.u32(REGION_CHUNK as u32);
        let crcs = sums.finish();
        descriptor.len(crcs.len());
        crcs.iter().for_each(|&c| descriptor.u32(c));
        frames.frame(descriptor)?;
        frames.raw(&descriptor_at.to_le_bytes())?;
        frames.w.flush()?;
        Ok(())
    }
}

/// A snapshot opened: its tag read, the engine not yet.
pub struct SnapshotReader<R: Read> {
    frames: FrameReader<R>,
    tag: String,
    /// The form of the view its records carry ([`crate::AssetView::form`]).
    view_form: Option<String>,
    /// The file the engine read will keep its records in ([`SnapshotReader::open_file`]).
    records_file: Option<std::fs::File>,
}

impl SnapshotReader<std::io::BufReader<std::fs::File>> {
    /// Opens the snapshot in `file`. With `records_in_file`, the engine read keeps only each
    /// asset's id and where its record is in the file, and reads the record back (one read
    /// of about 200 bytes, 1.4 KB with a GeoJSON view — as it is, nothing to decompress —
    /// from the operating system's cache once read) whenever the asset is handed out — about
    /// 140 bytes an asset less memory (about 380 with a view), at the cost of that read. The file
    /// stays open as long as the engine: replacing it (a new snapshot renamed over it) is
    /// safe; writing into it in place is not.
    pub fn open_file(file: std::fs::File, records_in_file: bool) -> Result<Self, SnapshotError> {
        let records_file = if records_in_file {
            Some(file.try_clone()?)
        } else {
            None
        };
        let mut reader = SnapshotReader::open(std::io::BufReader::with_capacity(1 << 20, file))?;
        reader.records_file = records_file;
        Ok(reader)
    }
}

impl<R: Read + Send> SnapshotReader<R> {
    /// Reads the magic line and the first frame; fails with [`SnapshotError::Stale`] for a
    /// file that is not a snapshot of this layout and vocabulary.
    pub fn open(mut r: R) -> Result<Self, SnapshotError> {
        let mut magic = [0u8; 16];
        r.read_exact(&mut magic)
            .map_err(|_| SnapshotError::Stale("not an engine snapshot".into()))?;
        if &magic != MAGIC {
            return Err(SnapshotError::Stale("not an engine snapshot".into()));
        }
        let mut frames = FrameReader {
            r,
            at: MAGIC.len() as u64,
        };
        let head = frames.next()?;
        let mut input = In::new(&head);
        let format = input.u32()?;
        if format != FORMAT {
            return Err(SnapshotError::Stale(format!(
                "layout {format}, this build reads layout {FORMAT}"
            )));
        }
        if input.u32()? != vocabulary_fingerprint() {
            return Err(SnapshotError::Stale(
                "written with other vocabularies (categories, access, status, search words…)"
                    .into(),
            ));
        }
        let tag = input.str()?.to_owned();
        let view_form = input.opt_str()?.map(str::to_owned);
        ensure_read_all(&input, "the header")?;
        Ok(SnapshotReader {
            frames,
            tag,
            view_form,
            records_file: None,
        })
    }

    /// The tag given to [`Engine::write_snapshot`].
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The form of the view its records carry ([`crate::AssetView::form`]), when the engine
    /// written had one.
    pub fn view_form(&self) -> Option<&str> {
        self.view_form.as_deref()
    }

    /// Reads the engine: the records on all cores (each decoded once, to check it and pack its
    /// facets), then the text index while the R-tree and the tile index are built. Fails with
    /// [`SnapshotError::Stale`] for a snapshot of an engine with a view
    /// ([`read_engine_with_view`](Self::read_engine_with_view) reads it).
    pub fn read_engine(self) -> Result<Engine, SnapshotError> {
        self.read_engine_with_view(None)
    }

    /// [`read_engine`](Self::read_engine) for an engine whose records carry `view`
    /// ([`Engine::with_view`]): fails with [`SnapshotError::Stale`] when the snapshot's records
    /// carry another form, or none (`None`: the snapshot must carry none either).
    pub fn read_engine_with_view(
        self,
        view: Option<Arc<dyn AssetView>>,
    ) -> Result<Engine, SnapshotError> {
        let SnapshotReader {
            mut frames,
            records_file,
            view_form,
            ..
        } = self;
        let wanted = view.as_ref().map(|v| v.form());
        if view_form.as_deref() != wanted {
            return Err(SnapshotError::Stale(format!(
                "its records carry the view {}, wanted {}",
                view_form.as_deref().unwrap_or("none"),
                wanted.unwrap_or("none")
            )));
        }
        let meta = frames.next()?;
        let mut input = In::new(&meta);
        let n_slots = input.u32()? as usize;
        let n_free = input.len(4)?;
        let free: Vec<u32> = (0..n_free).map(|_| input.u32()).collect::<Result<_, _>>()?;
        let n_order = input.len(4)?;
        let order: Vec<u32> = (0..n_order)
            .map(|_| input.u32())
            .collect::<Result<_, _>>()?;
        ensure_read_all(&input, "the slot list")?;
        if n_free + n_order != n_slots || free.iter().chain(&order).any(|&s| s as usize >= n_slots)
        {
            return Err(SnapshotError::corrupt("the slot lists do not add up"));
        }
        let dictionary = frames.next()?;
        let view_dictionary = frames.next()?;
        let codec = Codec::with_dictionaries(dictionary, view.map(|v| (v, view_dictionary)))?;
        let (slots, facets, region_len) = read_records(&mut frames, n_slots)?;
        let mut records = Records::from_parts(codec, slots, None);
        let (text, engine) = std::thread::scope(|scope| {
            let text = scope.spawn(|| TextIndex::read_snapshot(&mut frames, &records, &facets));
            let parts = Engine::index_parts(&order, &facets);
            let text = text.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (text, parts)
        });
        let text = text?;
        match records_file {
            Some(file) => {
                let file = region_of(file, frames.at, region_len)?;
                records.set_file(Arc::new(file));
            }
            None => read_region(&mut frames, &mut records, region_len)?,
        }
        let (tree, tiles) = engine;
        Engine::from_parts(records, facets, free, order, tree, text, tiles)
            .map_err(SnapshotError::Corrupt)
    }
}

/// The record region of the snapshot in `file`, `region_len` bytes from `base`, with the
/// checksums written after it — none of its bytes read: each chunk is checked when a record in
/// it is first read ([`RecordFile`]). The file must end with the checksums' frame and its
/// place.
fn region_of(file: std::fs::File, base: u64, region_len: u64) -> Result<RecordFile, SnapshotError> {
    let file_len = file.metadata()?.len();
    let descriptor_at = base
        .checked_add(region_len)
        .filter(|&at| at.saturating_add(FRAME_HEAD as u64 + 8) <= file_len)
        .ok_or_else(|| SnapshotError::corrupt("the file ends early"))?;
    let mut place = [0u8; 8];
    read_exact_at(&file, &mut place, file_len - 8)?;
    if u64::from_le_bytes(place) != descriptor_at {
        return Err(SnapshotError::corrupt(
            "the record region is not where the file says",
        ));
    }
    let mut head = [0u8; FRAME_HEAD];
    read_exact_at(&file, &mut head, descriptor_at)?;
    let len = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
    let crc = u32::from_le_bytes(head[8..].try_into().unwrap_or_default());
    let ends_at = (descriptor_at + FRAME_HEAD as u64 + 8).checked_add(len);
    if ends_at != Some(file_len) {
        return Err(SnapshotError::corrupt(
            "the record region's checksums are not where the file says",
        ));
    }
    let mut buf = vec![0u8; len as usize];
    read_exact_at(&file, &mut buf, descriptor_at + FRAME_HEAD as u64)?;
    let crcs = region_checksums(&checked(buf, crc)?, region_len)?;
    Ok(RecordFile::new(file, base, region_len, crcs))
}

/// The chunk checksums of a record region of `region_len` bytes, from the frame written after it.
fn region_checksums(frame: &[u8], region_len: u64) -> Result<Vec<u32>, SnapshotError> {
    let mut input = In::new(frame);
    if input.u64()? != region_len || input.u32()? != REGION_CHUNK as u32 {
        return Err(SnapshotError::corrupt(
            "the record region's length or chunk size does not match",
        ));
    }
    let n = input.len(4)?;
    if n as u64 != region_len.div_ceil(REGION_CHUNK as u64) {
        return Err(SnapshotError::corrupt(
            "the record region's checksums do not cover it",
        ));
    }
    let crcs = (0..n).map(|_| input.u32()).collect::<Result<Vec<_>, _>>()?;
    ensure_read_all(&input, "the record region's checksums")?;
    Ok(crcs)
}

/// Reads the record region into memory: each record (in its file form) kept in its memory form
/// ([`Codec::memory_form`], on all cores, a frame's worth of slots at a time), every chunk's
/// checksum compared with those written after the region before the engine is used.
fn read_region<R: Read>(
    frames: &mut FrameReader<R>,
    records: &mut Records,
    region_len: u64,
) -> Result<(), SnapshotError> {
    let base = frames.at;
    let mut sums = ChunkChecksums::default();
    let mut buf = Vec::new();
    let codec = records.codec().clone();
    for block in records.slots_mut().chunks_mut(ASSETS_PER_FRAME) {
        // The block's records lie one after another in the region, from `first`.
        let places: Vec<(usize, u64, u32)> = block
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.as_ref()?.stored() {
                Stored::File { at, len } => Some((i, at, len)),
                Stored::Memory(_) => None,
            })
            .collect();
        let Some(&(_, first, _)) = places.first() else {
            continue;
        };
        let mut end = first;
        for &(_, at, len) in &places {
            if at != end {
                return Err(SnapshotError::corrupt("the records' places do not add up"));
            }
            end += u64::from(len);
        }
        if first != frames.at - base {
            return Err(SnapshotError::corrupt("the records' places do not add up"));
        }
        buf.resize((end - first) as usize, 0);
        frames.raw(&mut buf)?;
        sums.update(&buf);
        let kept = on_all_cores(&places, |&(i, at, len)| {
            let from = (at - first) as usize;
            let bytes = &buf[from..from + len as usize];
            let id = block[i].as_ref().map_or("", Record::id);
            codec.memory_form(bytes).map(|m| Record::new(id, &m))
        });
        for ((i, _, _), record) in places.into_iter().zip(kept) {
            block[i] = Some(record?);
        }
    }
    if sums.total() != region_len {
        return Err(SnapshotError::corrupt("the records' places do not add up"));
    }
    let descriptor_at = frames.at;
    let crcs = region_checksums(&frames.next()?, region_len)?;
    if crcs != sums.finish() {
        return Err(SnapshotError::corrupt(
            "the record region's checksums do not match",
        ));
    }
    let mut place = [0u8; 8];
    frames.raw(&mut place)?;
    if u64::from_le_bytes(place) != descriptor_at {
        return Err(SnapshotError::corrupt(
            "the record region is not where the file says",
        ));
    }
    Ok(())
}

/// One frame of slots read: their records (each where it is in the record region) and packed
/// facets (default for a free slot), and the span of the region its records take.
type Block = (Vec<Option<Record>>, Vec<SlotFacets>, (u64, u64));

/// Every slot's record (each where it is in the record region), every slot's packed facets,
/// and the record region's length in bytes.
type AssetFrames = (Vec<Option<Record>>, Vec<SlotFacets>, u64);

/// The asset frames: `n_slots` slots in frames of [`ASSETS_PER_FRAME`], on all cores (each
/// worker takes the next frame from the reader, checks it, and reads each slot's id, packed
/// facets and its record's length — decoding nothing: the frame's checksum vouches for its
/// bytes). Each slot keeps where its record is in the record region; returns the records, the
/// facets and the region's length.
fn read_records<R: Read + Send>(
    frames: &mut FrameReader<R>,
    n_slots: usize,
) -> Result<AssetFrames, SnapshotError> {
    let n_frames = n_slots.div_ceil(ASSETS_PER_FRAME);
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8);
    let next: Mutex<(usize, &mut FrameReader<R>)> = Mutex::new((0, frames));
    let decode = || -> Result<Vec<(usize, Block)>, SnapshotError> {
        let mut done = Vec::new();
        loop {
            let (i, buf) = {
                let mut guard = next
                    .lock()
                    .map_err(|_| SnapshotError::corrupt("a reader failed"))?;
                let i = guard.0;
                if i == n_frames {
                    return Ok(done);
                }
                guard.0 += 1;
                (i, guard.1.next_placed()?)
            };
            let buf = checked(buf.0, buf.1)?;
            let mut input = In::new(&buf);
            let n = input.len(1)?;
            let expected = ASSETS_PER_FRAME.min(n_slots - i * ASSETS_PER_FRAME);
            if n != expected {
                return Err(SnapshotError::corrupt(
                    "an asset frame holds the wrong count",
                ));
            }
            let first = input.u64()?;
            let mut at = first;
            let mut block = Vec::with_capacity(n);
            let mut facets = Vec::with_capacity(n);
            for _ in 0..n {
                if !input.bool()? {
                    block.push(None);
                    facets.push(SlotFacets::default());
                    continue;
                }
                let id = input.str()?;
                facets.push(SlotFacets::read(&mut input)?);
                let len = input.u32()?;
                block.push(Some(Record::in_file(id, at, len)));
                at += u64::from(len);
            }
            ensure_read_all(&input, "an asset frame")?;
            done.push((i, (block, facets, (first, at))));
        }
    };
    let mut blocks: Vec<(usize, Block)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(decode)).collect();
        let mut all = Vec::with_capacity(n_frames);
        let mut first_error = None;
        for w in workers {
            match w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                Ok(done) => all.extend(done),
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(all),
        }
    })?;
    blocks.sort_unstable_by_key(|(i, _)| *i);
    let mut slots = Vec::with_capacity(n_slots);
    let mut facets = Vec::with_capacity(n_slots);
    let mut region_len = 0;
    for (_, (block, packed, (first, end))) in blocks {
        if first != region_len {
            return Err(SnapshotError::corrupt("the records' places do not add up"));
        }
        region_len = end;
        slots.extend(block);
        facets.extend(packed);
    }
    Ok((slots, facets, region_len))
}
