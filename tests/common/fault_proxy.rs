//! A TCP proxy of the tests' own that puts faults between the exporter and a real upstream.
//!
//! `freeze()` makes every connection open now go silent in both directions while its sockets
//! stay open: what a half-open TCP connection looks like after a firewall or NAT dropped its
//! state. Connections made afterwards are forwarded as usual, so an upstream "answers again" to
//! anyone who reconnects. `refuse(true)` closes new connections as soon as they are accepted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct FaultProxy {
    pub port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    /// Connections accepted before this generation are frozen.
    frozen_before: AtomicU64,
    accepted: AtomicU64,
    refuse: AtomicBool,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            frozen_before: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            refuse: AtomicBool::new(false),
        });
        let upstream = upstream.to_owned();
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                if shared.refuse.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let generation = shared.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                let Ok(server) = TcpStream::connect(&upstream).await else { continue };
                tokio::spawn(forward(client, server, generation, shared.clone()));
            }
        });
        FaultProxy { port, state, task }
    }

    /// Every connection open now stops passing bytes, for good; new ones pass.
    pub fn freeze(&self) {
        let accepted = self.state.accepted.load(Ordering::SeqCst);
        self.state.frozen_before.store(accepted + 1, Ordering::SeqCst);
    }

    pub fn refuse(&self, refuse: bool) {
        self.state.refuse.store(refuse, Ordering::SeqCst);
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

/// Copies both ways until either side closes; once frozen, holds both sockets open and reads
/// nothing more, as a peer whose packets no longer arrive.
async fn forward(mut client: TcpStream, mut server: TcpStream, generation: u64, state: Arc<State>) {
    let frozen = || generation < state.frozen_before.load(Ordering::SeqCst);
    let (mut from_client, mut to_client) = client.split();
    let (mut from_server, mut to_server) = server.split();
    let mut up = [0u8; 16 * 1024];
    let mut down = [0u8; 16 * 1024];
    let mut ticker = tokio::time::interval(std::time::Duration::from_millis(50));
    loop {
        if frozen() {
            std::future::pending::<()>().await;
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
            _ = ticker.tick() => {}
        }
    }
}
