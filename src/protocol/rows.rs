//! Row lists as the server packs them (`BsatnRowList`), split into rows without copying.

use super::reader::{DecodeError, DecodeErrorKind, Reader};
use bytes::Bytes;

/// A validated list of BSATN rows sharing one buffer.
///
/// Validation happens once, on the background thread that decodes the message; iterating on the
/// game thread is then only pointer arithmetic.
#[derive(Clone, Debug, Default)]
pub struct RowList {
    data: Bytes,
    layout: RowLayout,
}

#[derive(Clone, Debug)]
enum RowLayout {
    /// Every row has this many bytes (never zero when `data` is non-empty).
    Fixed(usize),
    /// Little-endian u64 start offsets, checked to be non-decreasing and within `data`.
    Offsets(Bytes),
}

impl Default for RowLayout {
    fn default() -> Self {
        RowLayout::Offsets(Bytes::new())
    }
}

impl RowList {
    pub fn decode(r: &mut Reader) -> Result<RowList, DecodeError> {
        const CTX: &str = "row list";
        let layout = match r.u8(CTX)? {
            0 => RowLayout::Fixed(r.u16(CTX)? as usize),
            1 => {
                let n = r.count(8, CTX)?;
                RowLayout::Offsets(r.raw(n * 8, CTX)?)
            }
            tag => return Err(r.error(CTX, DecodeErrorKind::InvalidTag(tag))),
        };
        let data_start = r.position();
        let data = r.bytes(CTX)?;
        let invalid = |why| DecodeError { context: CTX, offset: data_start, kind: DecodeErrorKind::InvalidRowList(why) };
        match &layout {
            RowLayout::Fixed(0) if !data.is_empty() => return Err(invalid("fixed row size 0 with non-empty data")),
            RowLayout::Fixed(size) if *size != 0 && data.len() % size != 0 => {
                return Err(invalid("data length is not a multiple of the fixed row size"))
            }
            RowLayout::Offsets(offsets) => {
                let mut prev = 0u64;
                for (i, chunk) in offsets.chunks_exact(8).enumerate() {
                    let off = u64::from_le_bytes(chunk.try_into().expect("chunks_exact(8)"));
                    if (i == 0 && off != 0) || off < prev || off > data.len() as u64 {
                        return Err(invalid("row offsets are not increasing from 0 within the data"));
                    }
                    prev = off;
                }
                if offsets.is_empty() && !data.is_empty() {
                    return Err(invalid("row data without row offsets"));
                }
            }
            _ => {}
        }
        Ok(RowList { data, layout })
    }

    /// A list holding copies of `rows` (for rows assembled from several lists).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a [u8]>) -> RowList {
        let mut data = Vec::new();
        let mut offsets = Vec::new();
        for row in rows {
            offsets.extend_from_slice(&(data.len() as u64).to_le_bytes());
            data.extend_from_slice(row);
        }
        RowList { data: Bytes::from(data), layout: RowLayout::Offsets(Bytes::from(offsets)) }
    }

    pub fn from_fixed(data: Bytes, row_size: usize) -> RowList {
        assert!(row_size > 0 && data.len().is_multiple_of(row_size));
        RowList { data, layout: RowLayout::Fixed(row_size) }
    }

    pub fn len(&self) -> usize {
        match &self.layout {
            RowLayout::Fixed(0) => 0,
            RowLayout::Fixed(size) => self.data.len() / size,
            RowLayout::Offsets(offsets) => offsets.len() / 8,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of row data (excluding the layout).
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    /// The shared buffer that rows returned by [`RowList::range`] index into.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Byte range of row `i` within [`RowList::data`]. `i` must be below `len()`.
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        match &self.layout {
            RowLayout::Fixed(size) => i * size..(i + 1) * size,
            RowLayout::Offsets(offsets) => {
                let at = |k: usize| u64::from_le_bytes(offsets[k * 8..k * 8 + 8].try_into().unwrap()) as usize;
                let end = if (i + 1) * 8 < offsets.len() { at(i + 1) } else { self.data.len() };
                at(i)..end
            }
        }
    }

    pub fn get(&self, i: usize) -> &[u8] {
        &self.data[self.range(i)]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}
