//! One term's postings in a chunk, encoded: for each asset holding the term, in increasing
//! local number, the gap from the previous asset's number (the first from 0) and the term's
//! weighted frequency, each as a LEB128 variable-length integer. Both are almost always under
//! 128, so a posting takes 2 bytes where a pair of `u16`s took 4: at a million assets the
//! postings are most of the text index.
//!
//! Written by hand: the format is two small integers per posting and the whole coder is a few
//! lines; the compression crates that do this (bitpacking, stream-vbyte) work on blocks of
//! `u32`s and would need the lists padded and split into two streams.

/// A term's encoded postings (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub(super) struct PostingList<'a>(pub(super) &'a [u8]);

impl<'a> PostingList<'a> {
    /// The postings, `(local number, weighted term frequency)` in increasing local number.
    #[inline]
    pub(super) fn iter(self) -> Postings<'a> {
        Postings {
            bytes: self.0,
            at: 0,
            local: 0,
        }
    }

    /// True when no asset holds the term here.
    pub(super) fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    /// About how many postings the list holds (for sizing buffers).
    pub(super) fn len_hint(self) -> usize {
        self.0.len() / 2
    }

    /// True when asset `local` holds the term (stops at the first number past it).
    pub(super) fn has(self, local: u16) -> bool {
        self.iter()
            .map(|(l, _)| l)
            .take_while(|l| *l <= local)
            .any(|l| l == local)
    }

    /// The postings, or `None` when the bytes are not a list of postings in increasing local
    /// number below `docs` (a snapshot's postings are checked with this before use).
    pub(super) fn checked(self, docs: usize) -> Option<Vec<(u16, u16)>> {
        let mut out = Vec::with_capacity(self.len_hint());
        let (mut at, mut local) = (0usize, 0u32);
        while at < self.0.len() {
            let gap = varint(self.0, &mut at)?;
            let tf = varint(self.0, &mut at)?;
            if !out.is_empty() && gap == 0 {
                return None;
            }
            local += gap;
            if local as usize >= docs || tf > u32::from(u16::MAX) {
                return None;
            }
            out.push((local as u16, tf as u16));
        }
        Some(out)
    }
}

/// The postings of a [`PostingList`], decoded as they are read.
#[derive(Debug, Clone)]
pub(super) struct Postings<'a> {
    bytes: &'a [u8],
    at: usize,
    local: u32,
}

impl Iterator for Postings<'_> {
    type Item = (u16, u16);

    #[inline]
    fn next(&mut self) -> Option<(u16, u16)> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let gap = varint(self.bytes, &mut self.at)?;
        let tf = varint(self.bytes, &mut self.at)?;
        self.local = self.local.wrapping_add(gap);
        Some((self.local as u16, tf as u16))
    }
}

/// Reads one LEB128 integer of up to three bytes (enough for a `u16`) at `*at`, moving past
/// it; `None` when the bytes end first or it runs longer.
#[inline]
fn varint(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let first = *bytes.get(*at)?;
    *at += 1;
    if first < 0x80 {
        return Some(u32::from(first));
    }
    let mut value = u32::from(first & 0x7f);
    for shift in [7, 14] {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u32::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(value);
        }
    }
    None
}

fn push_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends the list of `postings` (`(local, tf)`, in strictly increasing local number) to
/// `out`.
pub(super) fn encode(out: &mut Vec<u8>, postings: impl IntoIterator<Item = (u16, u16)>) {
    let mut previous = 0u16;
    for (local, tf) in postings {
        debug_assert!(local >= previous, "postings out of order");
        push_varint(out, u32::from(local - previous));
        push_varint(out, u32::from(tf));
        previous = local;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(postings: &[(u16, u16)]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, postings.iter().copied());
        out
    }

    #[test]
    fn postings_read_back_as_written_in_two_bytes_each_when_small() {
        let small = [(0, 6), (1, 2), (5, 12), (130, 3)];
        let bytes = encoded(&small);
        // 125 (the gap from 5 to 130) is still one byte.
        assert_eq!(bytes.len(), 8);
        assert_eq!(PostingList(&bytes).iter().collect::<Vec<_>>(), small);
        let large = [(7, 300), (4095, 65_535), (65_535, 0)];
        let bytes = encoded(&large);
        assert_eq!(PostingList(&bytes).iter().collect::<Vec<_>>(), large);
        assert_eq!(PostingList(&bytes).checked(65_536), Some(large.to_vec()));
        assert!(PostingList(&[]).is_empty() && PostingList(&[]).iter().next().is_none());
    }

    #[test]
    fn has_finds_exactly_the_numbers_in_the_list() {
        let bytes = encoded(&[(3, 2), (9, 2), (200, 4)]);
        let list = PostingList(&bytes);
        for n in 0..300 {
            assert_eq!(list.has(n), [3, 9, 200].contains(&n), "{n}");
        }
    }

    #[test]
    fn checked_refuses_what_encode_never_writes() {
        let ok = encoded(&[(1, 2), (2, 3)]);
        assert!(PostingList(&ok).checked(3).is_some());
        // A number at or past the chunk's assets.
        assert!(PostingList(&ok).checked(2).is_none());
        // A repeated number (gap 0 after the first).
        assert!(PostingList(&[1, 2, 0, 3]).checked(10).is_none());
        // Cut in the middle of a posting, or of an integer.
        assert!(PostingList(&ok[..3]).checked(10).is_none());
        assert!(PostingList(&[0x81]).checked(10).is_none());
        // An integer longer than three bytes, or past u16.
        assert!(PostingList(&[0x80, 0x80, 0x80, 0x01, 2])
            .checked(10)
            .is_none());
        assert!(PostingList(&[0, 0xff, 0xff, 0x07]).checked(10).is_none());
        // Whatever the bytes, reading them never panics.
        for a in 0..=255u8 {
            for b in [0u8, 1, 0x7f, 0x80, 0xff] {
                let _ = PostingList(&[a, b, a]).iter().count();
                let _ = PostingList(&[a, b, a]).checked(100);
            }
        }
    }
}
