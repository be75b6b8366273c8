//! The workloads of `official_client.rs` through the official SDK (spacetimedb-sdk 1.2.0) and its
//! generated bindings (bench/official-bindings, from spacetimedb-codegen 1.2.0). The same client
//! code is compiled a second time against stdb-client's typed bindings by `typed.rs`; this file
//! holds only the `use` lines that differ.
use crate::{game, put_percentiles, raw, sys, Args, Out, Res, TIMEOUT};
use spacetimedb_sdk::{Compression, DbContext, Status, Table, TableWithPrimaryKey};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(clippy::all, unused)]
#[path = "../../official-bindings/mod.rs"]
mod bindings;
use bindings::*;

include!("official_client.rs");
