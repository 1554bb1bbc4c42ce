//! The connection loop: HTTP/1.1 over TCP with a header-read timeout, an idle keep-alive
//! timeout and a graceful shutdown.
//!
//! `axum::serve` sets no timer on its connections, so a client that sends half a request
//! head, or keeps a connection open without sending anything, holds a socket for good:
//! a few hundred such sockets use up the process's file descriptors and every new client
//! times out. Here each connection gets hyper's header-read timeout (it runs from the
//! moment the server waits for a request head: from the accept, and again after each
//! response) and an idle timeout between requests ([`IdleTimeout`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

use crate::config::Settings;

/// Timeouts of a connection, as configured.
#[derive(Clone, Copy, Debug)]
pub struct Connections {
    /// `IDM_HEADER_READ_TIMEOUT`: how long a request head may take to arrive.
    pub header_read_timeout: Duration,
    /// `IDM_KEEP_ALIVE_TIMEOUT`: how long a connection may wait idle for its next request.
    pub keep_alive_timeout: Duration,
}

impl Connections {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            header_read_timeout: settings.header_read_timeout,
            keep_alive_timeout: settings.keep_alive_timeout,
        }
    }
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
        }
    }
}

/// How long the loop waits after a failed accept (say, out of file descriptors) before it
/// accepts again, so that it does not spin while nothing can be accepted.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// Serves `router` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    connections: Connections,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(connections.header_read_timeout)
        .keep_alive(true);
    // Every connection task holds a receiver: a change tells them to finish, and the
    // sender's `closed` tells the loop that the last one has.
    let (stop, stopping) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(error = %error, "accept failed");
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let io = TokioIo::new(IdleTimeout::new(stream, connections.keep_alive_timeout));
        // The router is finished once (`with_state` ran in `build_router`): a clone is a
        // reference count, not a rebuild of its routes.
        let connection = http.serve_connection(io, TowerToHyperService::new(router.clone()));
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let mut told = false;
            loop {
                tokio::select! {
                    _ = connection.as_mut() => break,
                    _ = stopping.changed(), if !told => {
                        told = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(stopping);
        });
    }
    drop(listener);
    drop(stopping);
    let _ = stop.send(());
    stop.closed().await;
    Ok(())
}

/// A connection that ends (reads as closed) when it stays idle for `timeout` after a
/// response: after a write, until the client sends its next byte. While a request is read
/// or handled it never fires (the header-read and request timeouts bound those).
struct IdleTimeout {
    stream: TcpStream,
    timeout: Duration,
    /// Set by a write (a response going out), cleared by a byte read.
    idle: bool,
    deadline: Pin<Box<Sleep>>,
}

impl IdleTimeout {
    fn new(stream: TcpStream, timeout: Duration) -> Self {
        Self {
            stream,
            timeout,
            idle: false,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl IdleTimeout {
    /// A write that went out starts the idle time.
    fn wrote(&mut self, written: &io::Result<usize>) {
        if matches!(written, Ok(n) if *n > 0) {
            self.idle = true;
            let deadline = Instant::now() + self.timeout;
            self.deadline.as_mut().reset(deadline);
        }
    }
}

impl AsyncRead for IdleTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.idle = false;
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.idle => {
                // Nothing filled: hyper takes it as the client closing between requests.
                ready!(this.deadline.as_mut().poll(cx));
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for IdleTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = ready!(Pin::new(&mut this.stream).poll_write(cx, data));
        this.wrote(&written);
        Poll::Ready(written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = ready!(Pin::new(&mut this.stream).poll_write_vectored(cx, bufs));
        this.wrote(&written);
        Poll::Ready(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
