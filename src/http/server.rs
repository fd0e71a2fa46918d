//! The accept loop: a cap on open connections, the header (and idle) timeout, the body timeout,
//! the write timeout, and graceful shutdown. axum's own `serve` has none of these knobs, and without them a few
//! hundred idle or slow-dripping connections use up the process's open files.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use super::error::ApiError;
use crate::config::ServerLimits;

/// Why a request body could not be read: it did not arrive in full within the limit.
#[derive(Debug)]
pub(crate) struct BodyTimedOut(pub Duration);

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request body did not arrive within {:?}", self.0)
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body that must arrive whole by a deadline counted from the end of its head. A total
/// deadline, not a per-read one: a client dripping a byte a second never reaches the handler.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    limit: Duration,
    /// Armed on the first read that has to wait, so bodies that are already there cost no timer.
    timer: Option<Pin<Box<Sleep>>>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.limit))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection as the server writes it: writes may make no progress for at most `limit` (a
/// client that stops reading its answers, its receive window full, is dropped rather than kept
/// for ever; each write that goes through starts the wait again), and hyper's own bodiless
/// answers to requests it cannot parse are replaced by the one JSON error shape.
struct StallGuard<T> {
    inner: T,
    limit: Duration,
    /// Armed when a write first has to wait; disarmed by the next one that goes through.
    timer: Option<Pin<Box<Sleep>>>,
    unreadable: Arc<UnreadableAnswers>,
    /// A replacement answer still being written, and how much of it is.
    replacing: Option<(Bytes, usize)>,
}

impl<T: AsyncWrite + Unpin> StallGuard<T> {
    fn new(inner: T, limit: Duration, unreadable: Arc<UnreadableAnswers>) -> Self {
        StallGuard {
            inner,
            limit,
            timer: None,
            unreadable,
            replacing: None,
        }
    }

    /// Takes `head` (what hyper is writing) in place of writing it, when it is hyper's automatic
    /// answer to a request it could not parse: the JSON answer is written instead.
    fn replaces(&mut self, head: &[u8]) -> bool {
        let Some(answer) = self.unreadable.instead_of(head) else {
            return false;
        };
        self.replacing = Some((answer, 0));
        true
    }

    /// Writes what is left of a replacement answer.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while let Some((answer, written)) = self.replacing.take() {
            if written == answer.len() {
                break;
            }
            let polled = Pin::new(&mut self.inner).poll_write(cx, &answer[written..]);
            match self.after(cx, polled) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => self.replacing = Some((answer, written + n)),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    self.replacing = Some((answer, written));
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// What a write (or flush) that made progress or failed answers, and what one that has to
    /// wait answers: still waiting, or the error that closes the connection.
    fn after<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<std::io::Result<R>>,
    ) -> Poll<std::io::Result<R>> {
        if polled.is_ready() {
            self.timer = None;
            return polled;
        }
        let limit = self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client read nothing of its answer for {limit:?}"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for StallGuard<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for StallGuard<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.replaces(buf) {
            return Poll::Ready(Ok(buf.len()));
        }
        std::task::ready!(this.drain(cx))?;
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let mut nonempty = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (nonempty.next(), nonempty.next())
            && this.replaces(only)
        {
            return Poll::Ready(Ok(only.len()));
        }
        std::task::ready!(this.drain(cx))?;
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.after(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// The answers, in the one JSON error shape, that replace hyper's bodiless ones to requests it
/// cannot parse: a malformed request line or header (400), a head too large (431), a target too
/// long (414). Such a connection is closed after its answer, as hyper would.
pub(crate) struct UnreadableAnswers {
    answers: Vec<(&'static [u8], Bytes)>,
}

impl UnreadableAnswers {
    async fn new() -> Self {
        let mut answers = Vec::new();
        for status in [400u16, 431, 414] {
            let head: &'static [u8] = match status {
                400 => b"HTTP/1.1 400 Bad Request\r\n",
                431 => b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
                _ => b"HTTP/1.1 414 URI Too Long\r\n",
            };
            let response = ApiError::UnreadableRequest(status).into_response();
            let answer = raw_answer(response, "").await;
            answers.push((head, Bytes::from(answer)));
        }
        UnreadableAnswers { answers }
    }

    /// The JSON answer for `written` when it is one of hyper's automatic answers: the status
    /// line above, and a head with no content type and no body.
    fn instead_of(&self, written: &[u8]) -> Option<Bytes> {
        let (_, answer) = self
            .answers
            .iter()
            .find(|(head, _)| written.starts_with(head))?;
        let text = std::str::from_utf8(written).ok()?.to_ascii_lowercase();
        (text.ends_with("\r\n\r\n")
            && text.contains("\r\ncontent-length: 0\r\n")
            && !text.contains("\r\ncontent-type:"))
        .then(|| answer.clone())
    }
}

/// `response` as the bytes of an HTTP/1.1 answer that closes its connection, with `extra` header
/// lines (each ending in CRLF).
async fn raw_answer(response: axum::response::Response, extra: &str) -> Vec<u8> {
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let mut bytes = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

/// The bytes sent on a connection over the cap before it is closed: a 503 in our error shape.
async fn refusal() -> Vec<u8> {
    raw_answer(
        ApiError::TooManyConnections.into_response(),
        "retry-after: 1\r\n",
    )
    .await
}

/// Serves `app` until `shutdown` completes; connections already accepted finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let refusal = refusal().await;
    let unreadable = Arc::new(UnreadableAnswers::new().await);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refused: u64 = 0;
    let mut last_warning: Option<Instant> = None;
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            // Over the cap: one non-blocking write straight to the socket (a fresh socket's send
            // buffer takes it), then close; never wait, never spawn.
            if let Ok(mut socket) = stream.into_std() {
                let _ = std::io::Write::write(&mut socket, &refusal);
            }
            refused += 1;
            if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    refused,
                    "connection limit reached: new connections are refused (503) until some close"
                );
                last_warning = Some(Instant::now());
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let body_timeout = limits.body_timeout;
        let service = app.clone().map_request(move |req: Request<Incoming>| {
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(ConnectInfo(remote));
            let body = DeadlineBody {
                inner: body,
                deadline: Instant::now() + body_timeout,
                limit: body_timeout,
                timer: None,
            };
            Request::from_parts(parts, Body::new(body))
        });
        let stream = StallGuard::new(stream, limits.write_timeout, unreadable.clone());
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%remote, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Errors of `accept` itself (as hyper 0.14 and axum handle them): a connection that failed
/// before it was accepted is skipped; anything else, such as running out of open files, is logged
/// and followed by a pause so the loop does not spin.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept failed: {e}");
    tokio::time::sleep(Duration::from_millis(250)).await;
}
