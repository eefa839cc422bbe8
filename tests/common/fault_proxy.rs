//! A TCP proxy of the tests' own that puts faults between the exporter and a real upstream.
//!
//! `freeze()` makes every connection open now go silent in both directions while its sockets
//! stay open: what a half-open TCP connection looks like after a firewall or NAT dropped its
//! state. Connections made afterwards are forwarded as usual, so an upstream "answers again" to
//! anyone who reconnects. [`Mode`]s other than `Pass` apply to every connection, old and new,
//! until the proxy is set back to `Pass`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::fault_server::{accept_loop, random_bytes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Nothing listens on the port (connection refused); open connections are closed.
    Refuse,
    /// Accept, then close at once (FIN); open connections are closed too.
    CloseAtAccept,
    /// Accept and read, pass nothing either way; open connections go silent too.
    Hang,
    /// Reset every connection, open or new (`SO_LINGER` 0, then close).
    Reset,
    /// Answer whatever comes with random bytes, then close; open connections get them too.
    Garbage,
}

pub struct FaultProxy {
    pub port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    mode: watch::Sender<Mode>,
    /// Connections accepted before this generation are frozen.
    frozen_before: AtomicU64,
    accepted: AtomicU64,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            mode: watch::channel(Mode::Pass).0,
            frozen_before: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
        });
        let upstream = upstream.to_owned();
        let shared = state.clone();
        let refusing = state.mode.subscribe();
        let task = tokio::spawn(accept_loop(
            listener,
            refusing,
            |mode| *mode == Mode::Refuse,
            move |client| {
                tokio::spawn(accepted(client, upstream.clone(), shared.clone()));
            },
        ));
        FaultProxy { port, state, task }
    }

    /// Every connection open now stops passing bytes, for good; new ones pass.
    pub fn freeze(&self) {
        let accepted = self.state.accepted.load(Ordering::SeqCst);
        self.state.frozen_before.store(accepted + 1, Ordering::SeqCst);
    }

    pub fn set(&self, mode: Mode) {
        self.state.mode.send_replace(mode);
    }

    /// Closes new connections as soon as they are accepted (or forwards them again).
    pub fn refuse(&self, refuse: bool) {
        self.set(if refuse { Mode::CloseAtAccept } else { Mode::Pass });
    }

    /// How many connections the proxy has forwarded so far.
    pub fn connections(&self) -> u64 {
        self.state.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A new connection: forwarded unless the mode says otherwise.
async fn accepted(client: TcpStream, upstream: String, state: Arc<State>) {
    let mode = *state.mode.borrow();
    if mode != Mode::Pass {
        return fault(client, mode, state.mode.subscribe()).await;
    }
    let generation = state.accepted.fetch_add(1, Ordering::SeqCst) + 1;
    if let Ok(server) = TcpStream::connect(&upstream).await {
        forward(client, server, generation, state).await;
    }
}

/// What a connection gets in a mode other than `Pass`.
async fn fault(mut client: TcpStream, mode: Mode, mut changes: watch::Receiver<Mode>) {
    match mode {
        Mode::Pass | Mode::Refuse | Mode::CloseAtAccept => {}
        Mode::Hang => {
            // Until the client gives up, or the proxy is told otherwise.
            let mut sink = [0u8; 4096];
            tokio::select! {
                _ = async { while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {} } => {}
                _ = changes.changed() => {}
            }
        }
        Mode::Reset => {
            let _ = client.set_zero_linger();
        }
        Mode::Garbage => {
            let _ = client.write_all(&random_bytes(4096)).await;
        }
    }
}

/// Copies both ways until either side closes; once frozen, holds both sockets open and reads
/// nothing more, as a peer whose packets no longer arrive. A mode other than `Pass` takes the
/// connection over.
async fn forward(mut client: TcpStream, mut server: TcpStream, generation: u64, state: Arc<State>) {
    let frozen = || generation < state.frozen_before.load(Ordering::SeqCst);
    let mut changes = state.mode.subscribe();
    let mode = loop {
        let mode = *changes.borrow_and_update();
        if mode != Mode::Pass {
            break mode;
        }
        let (mut from_client, mut to_client) = client.split();
        let (mut from_server, mut to_server) = server.split();
        let mut up = [0u8; 16 * 1024];
        let mut down = [0u8; 16 * 1024];
        let mut ticker = tokio::time::interval(std::time::Duration::from_millis(50));
        let changed = loop {
            if frozen() {
                break changes.changed().await;
            }
            tokio::select! {
                read = from_client.read(&mut up) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) if !frozen() => { if to_server.write_all(&up[..n]).await.is_err() { return } }
                    Ok(_) => {}
                },
                read = from_server.read(&mut down) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) if !frozen() => { if to_client.write_all(&down[..n]).await.is_err() { return } }
                    Ok(_) => {}
                },
                changed = changes.changed() => break changed,
                _ = ticker.tick() => {}
            }
        };
        if changed.is_err() {
            return;
        }
    };
    fault(client, mode, changes).await;
}
