//! A bounds-checked BSATN reader over a shared buffer.
//!
//! Every read checks the remaining length first, and every length read from the wire is checked
//! against the bytes actually present before anything is allocated, so hostile input can only
//! produce a [`DecodeError`], never a panic or an allocation larger than the frame itself.

use bytes::Bytes;
use std::fmt;

/// Why a server frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What was being read when the input ran out or did not make sense.
    pub context: &'static str,
    /// Byte offset into the (decompressed) message at which the problem was found.
    pub offset: usize,
    pub kind: DecodeErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    Truncated { needed: usize, available: usize },
    InvalidTag(u8),
    InvalidUtf8,
    InvalidRowList(&'static str),
    Decompress(String),
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed server message while reading {} at byte {}: ", self.context, self.offset)?;
        match &self.kind {
            DecodeErrorKind::Truncated { needed, available } => {
                write!(f, "truncated (needed {needed} bytes, {available} left)")
            }
            DecodeErrorKind::InvalidTag(t) => write!(f, "invalid tag {t}"),
            DecodeErrorKind::InvalidUtf8 => write!(f, "invalid UTF-8 in a string"),
            DecodeErrorKind::InvalidRowList(why) => write!(f, "invalid row list: {why}"),
            DecodeErrorKind::Decompress(why) => write!(f, "decompression failed: {why}"),
            DecodeErrorKind::TrailingBytes(n) => write!(f, "{n} unexpected trailing bytes"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Reads BSATN values from a [`Bytes`] buffer; byte strings come out as zero-copy slices.
pub struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    pub fn new(buf: Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn error(&self, context: &'static str, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { context, offset: self.pos, kind }
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self, context: &'static str) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(self.error(context, DecodeErrorKind::TrailingBytes(n))),
        }
    }

    fn take(&mut self, n: usize, context: &'static str) -> Result<&[u8], DecodeError> {
        if self.remaining() < n {
            return Err(self.error(context, DecodeErrorKind::Truncated { needed: n, available: self.remaining() }));
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..self.pos])
    }

    fn array<const N: usize>(&mut self, context: &'static str) -> Result<[u8; N], DecodeError> {
        let slice = self.take(N, context)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    pub fn u8(&mut self, context: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(context)?[0])
    }
    pub fn u16(&mut self, context: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(context)?))
    }
    pub fn u32(&mut self, context: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(context)?))
    }
    pub fn u64(&mut self, context: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(context)?))
    }
    pub fn i64(&mut self, context: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array(context)?))
    }
    pub fn u128(&mut self, context: &'static str) -> Result<u128, DecodeError> {
        Ok(u128::from_le_bytes(self.array(context)?))
    }
    pub fn bytes32(&mut self, context: &'static str) -> Result<[u8; 32], DecodeError> {
        self.array(context)
    }

    /// A `u32` length followed by that many bytes, as a slice sharing the buffer.
    pub fn bytes(&mut self, context: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.u32(context)? as usize;
        self.take(len, context)?;
        Ok(self.buf.slice(self.pos - len..self.pos))
    }

    /// A raw slice of `n` bytes sharing the buffer.
    pub fn raw(&mut self, n: usize, context: &'static str) -> Result<Bytes, DecodeError> {
        self.take(n, context)?;
        Ok(self.buf.slice(self.pos - n..self.pos))
    }

    pub fn string(&mut self, context: &'static str) -> Result<String, DecodeError> {
        let len = self.u32(context)? as usize;
        let start = self.pos;
        let slice = self.take(len, context)?;
        match std::str::from_utf8(slice) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(DecodeError { context, offset: start, kind: DecodeErrorKind::InvalidUtf8 }),
        }
    }

    /// A BSATN `Option`: tag 0 is `some`, tag 1 is `none`.
    pub fn option<T>(
        &mut self,
        context: &'static str,
        read: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        match self.u8(context)? {
            0 => read(self).map(Some),
            1 => Ok(None),
            tag => Err(self.error(context, DecodeErrorKind::InvalidTag(tag))),
        }
    }

    /// A `u32` element count, checked against the bytes left given each element's minimum size,
    /// so that a hostile count cannot make the caller reserve more than the frame could hold.
    pub fn count(&mut self, min_elem_size: usize, context: &'static str) -> Result<usize, DecodeError> {
        let n = self.u32(context)? as usize;
        let needed = n.saturating_mul(min_elem_size.max(1));
        if needed > self.remaining() {
            return Err(self.error(context, DecodeErrorKind::Truncated { needed, available: self.remaining() }));
        }
        Ok(n)
    }
}
