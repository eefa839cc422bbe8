//! The HTTP listener: accepts connections for the router, plain or TLS, within limits that
//! keep `/metrics` answering whatever clients do.
//!
//! A server that never closes a connection can be taken down by clients that open many and
//! send nothing (or a byte a second): every file descriptor ends up held and every scrape
//! fails. So each connection must send its request head within `read_header_timeout`, is
//! closed after `idle_timeout` without a request, and at most `max_connections` are open at
//! once. When the cap is reached a new connection takes the place of the connection idle the
//! longest (one that is only trickling headers counts as idle), so a scrape still gets in; only
//! when every connection is serving a request is the new one refused.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// How long a graceful shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The limits of `--web.max-connections`, `--web.read-header-timeout`, `--web.idle-timeout`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub read_header_timeout: Duration,
    pub idle_timeout: Duration,
}

/// One open connection, as the accept loop sees it.
struct Tracked {
    /// Requests being served now; 0 means idle (or still sending its request head).
    in_flight: Arc<AtomicUsize>,
    /// Milliseconds since `Connections::epoch` of the last request's end, or of the accept.
    last_active: Arc<AtomicU64>,
    /// Closes the connection at once (it is idle when told).
    evict: Arc<Notify>,
}

/// A registered connection: its id and the handles its task shares with the table.
type Admitted = (u64, Arc<AtomicUsize>, Arc<AtomicU64>, Arc<Notify>);

#[derive(Default)]
struct Table {
    next_id: u64,
    open: HashMap<u64, Tracked>,
}

struct Connections {
    epoch: Instant,
    table: Mutex<Table>,
}

impl Connections {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Registers a new connection, evicting the longest-idle one when `max` are open.
    /// `None` when every open connection is serving a request.
    fn admit(&self, max: usize) -> Option<Admitted> {
        let mut table = self.table.lock().expect("connection table lock poisoned");
        if table.open.len() >= max {
            let idlest = table
                .open
                .iter()
                .filter(|(_, tracked)| tracked.in_flight.load(Ordering::SeqCst) == 0)
                .min_by_key(|(_, tracked)| tracked.last_active.load(Ordering::SeqCst))
                .map(|(id, _)| *id)?;
            if let Some(evicted) = table.open.remove(&idlest) {
                evicted.evict.notify_one();
            }
        }
        let id = table.next_id;
        table.next_id += 1;
        let tracked = Tracked {
            in_flight: Arc::new(AtomicUsize::new(0)),
            last_active: Arc::new(AtomicU64::new(self.now_ms())),
            evict: Arc::new(Notify::new()),
        };
        let handles = (id, tracked.in_flight.clone(), tracked.last_active.clone(), tracked.evict.clone());
        table.open.insert(id, tracked);
        Some(handles)
    }

    fn forget(&self, id: u64) {
        self.table.lock().expect("connection table lock poisoned").open.remove(&id);
    }

    fn count(&self) -> usize {
        self.table.lock().expect("connection table lock poisoned").open.len()
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish
/// (up to 10 s). With `tls`, each connection's handshake must finish within the header timeout.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Arc::new(Connections { epoch: Instant::now(), table: Mutex::default() });
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let (stop, stopping) = watch::channel(false);
    let mut accept_error_logged = false;
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    accept_error_logged = false;
                    stream
                }
                Err(error) => {
                    // Out of file descriptors, most likely: say so once, and do not spin.
                    if !std::mem::replace(&mut accept_error_logged, true) {
                        tracing::warn!("accept failed: {error}");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some((id, in_flight, last_active, evict)) = connections.admit(limits.max_connections) else {
            tracing::debug!("{} connections, all serving a request: refusing one more", limits.max_connections);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        let connections = connections.clone();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            let served =
                Served { app, in_flight, last_active, evict, limits, stopping, connections: connections.clone() };
            match acceptor {
                None => served.run(stream).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.read_header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => served.run(stream).await,
                        Ok(Err(error)) => tracing::debug!("TLS handshake failed: {error}"),
                        Err(_) => tracing::debug!("TLS handshake not done within the header timeout"),
                    }
                }
            }
            connections.forget(id);
        });
    }
    let _ = stop.send(true);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while connections.count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One accepted connection and what it needs to be served and watched.
struct Served {
    app: Router,
    in_flight: Arc<AtomicUsize>,
    last_active: Arc<AtomicU64>,
    evict: Arc<Notify>,
    limits: Limits,
    stopping: watch::Receiver<bool>,
    connections: Arc<Connections>,
}

impl Served {
    async fn run<S: AsyncRead + AsyncWrite + Send + Unpin + 'static>(mut self, stream: S) {
        let (in_flight, last_active, connections) =
            (self.in_flight.clone(), self.last_active.clone(), self.connections.clone());
        let app = self.app.clone();
        let service = tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            in_flight.fetch_add(1, Ordering::SeqCst);
            let (in_flight, last_active, connections) = (in_flight.clone(), last_active.clone(), connections.clone());
            let response = app.clone().oneshot(request.map(axum::body::Body::new));
            async move {
                let response = response.await;
                last_active.store(connections.now_ms(), Ordering::SeqCst);
                in_flight.fetch_sub(1, Ordering::SeqCst);
                response
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(self.limits.read_header_timeout);
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        tokio::pin!(connection);
        let mut ticker = tokio::time::interval(Duration::from_millis(500).min(self.limits.idle_timeout));
        let idle_ms = u64::try_from(self.limits.idle_timeout.as_millis()).unwrap_or(u64::MAX);
        let mut shutting_down = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!("connection closed: {error}");
                    }
                    return;
                }
                // Taken over by a newer connection: idle, so nothing is cut short.
                () = self.evict.notified() => return,
                _ = ticker.tick() => {
                    let idle = self.in_flight.load(Ordering::SeqCst) == 0;
                    let quiet_ms = self.connections.now_ms().saturating_sub(self.last_active.load(Ordering::SeqCst));
                    if idle && quiet_ms >= idle_ms {
                        return;
                    }
                }
                changed = self.stopping.changed(), if !shutting_down => {
                    shutting_down = true;
                    if changed.is_err() || *self.stopping.borrow() {
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// Raises the soft limit of open files to the hard one, as Go programs (every other exporter)
/// do at start: the default soft limit of 1,024 is easily reached by clients alone.
pub fn raise_open_files_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
