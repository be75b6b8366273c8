//! The C ABI: a thin layer over the Rust core, one module per concept. Conventions (see the
//! header's preamble): `stdb_` prefix, opaque handles with a NULL-safe `_free`, result codes with
//! a thread-local last error, pointer + length for bytes and strings, `user_data` first in
//! callbacks with an optional finalizer, and a panic boundary around every export.
#![allow(non_camel_case_types)]
// Every export here takes raw pointers from C, where Rust's `unsafe` marker means nothing to the
// caller: the functions are the safety boundary. Each checks its pointers for NULL, documents in
// the header what a valid pointer must be, and states in a `SAFETY:` comment what it relies on.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub(crate) mod boundary;
pub mod builder;
pub mod connection;
pub mod event;
pub mod misc;
pub mod protocol;
pub mod reducer;
pub mod rows;
pub mod subscription;
pub mod table;
pub mod types;

pub use boundary::stdb_result;
