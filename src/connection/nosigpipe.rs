//! Socket wrappers that keep every write of the library from raising SIGPIPE.
//!
//! On Linux, Rust's `TcpStream::write` sends with `MSG_NOSIGNAL`, but `write_vectored` is a plain
//! `writev`, which raises SIGPIPE when the peer has closed the socket. rustls writes its records
//! (handshake, alerts) through `write_vectored`; a C, C++, Lua or Python host keeps SIGPIPE's
//! default disposition (terminate), so a TLS alert written to a closed socket killed the host.
//! These wrappers turn vectored writes into ordinary `send`s (one buffer at a time), so the host's
//! signal dispositions never need to change.

use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The first non-empty buffer of a vectored write (the rest are written by later calls).
fn first_nonempty<'a>(bufs: &'a [IoSlice<'a>]) -> &'a [u8] {
    bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..])
}

/// A tokio stream whose writes are all `send(…, MSG_NOSIGNAL)` (no `writev`).
#[derive(Debug)]
pub(crate) struct NoSigpipe<S>(pub S);

impl<S: AsyncRead + Unpin> AsyncRead for NoSigpipe<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for NoSigpipe<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        self.poll_write(cx, first_nonempty(bufs))
    }
    fn is_write_vectored(&self) -> bool {
        false
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// The same for ureq's blocking streams (the HTTP schema fetch).
#[derive(Debug)]
struct BlockingNoSigpipe(Box<dyn ureq::ReadWrite>);

impl Read for BlockingNoSigpipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for BlockingNoSigpipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.write(first_nonempty(bufs))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl ureq::ReadWrite for BlockingNoSigpipe {
    fn socket(&self) -> Option<&std::net::TcpStream> {
        self.0.socket()
    }
}

/// ureq's rustls connector, over a socket wrapped in `BlockingNoSigpipe`.
struct NoSigpipeTls(Arc<rustls::ClientConfig>);

impl ureq::TlsConnector for NoSigpipeTls {
    fn connect(&self, dns_name: &str, io: Box<dyn ureq::ReadWrite>) -> Result<Box<dyn ureq::ReadWrite>, ureq::Error> {
        self.0.connect(dns_name, Box::new(BlockingNoSigpipe(io)))
    }
}

/// A ureq agent whose sockets never raise SIGPIPE (the same roots and protocols as ureq's default).
/// The TLS config is built per agent (once per schema fetch), not kept in a static: a static would
/// outlive `stdb_library_shutdown` and leak each time a host unloads the library.
pub(crate) fn ureq_agent(timeout: std::time::Duration) -> ureq::Agent {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = Arc::new(NoSigpipeTls(Arc::new(config)));
    ureq::AgentBuilder::new().timeout(timeout).tls_connector(tls).build()
}
