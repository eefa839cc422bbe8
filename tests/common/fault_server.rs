//! An HTTP server of the tests' own that stands in for an HTTP upstream and fails on demand.
//!
//! In [`Mode::Pass`] it answers as the upstream would: it forwards each request to the real one
//! (Connect, Jolokia), or serves a recorded answer (jmx_exporter, which the stack does not run).
//! Every other mode is one way an upstream or the network between can fail; the mode can be
//! switched while the exporter polls. Requests and responses are hand-written HTTP/1.1 with
//! keep-alive, so that the exporter holds pooled connections a fault can then catch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answer as the upstream does.
    Pass,
    /// Nothing listens on the port (connection refused); open connections are closed.
    Refuse,
    /// New connections are closed as soon as they are accepted, open ones at their next
    /// request, without a word.
    CloseAtAccept,
    /// Accept and read, never answer.
    Hang,
    /// Connections open at the switch go silent for good (half-open: a firewall dropped their
    /// state); connections made afterwards pass.
    Freeze,
    /// Answer a request with a TCP reset (`SO_LINGER` 0, then close).
    Reset,
    /// HTTP 500.
    Status500,
    /// A 200 whose body is random bytes.
    Garbage,
    /// A 200 whose body is valid in another upstream's format.
    WrongShape,
    /// A 200 with `Content-Length` 200 MB, sent as fast as the exporter reads.
    OversizeFast,
    /// 200 MB in chunked transfer encoding, as fast as the exporter reads.
    OversizeChunked,
    /// 200 MB sent at about 1 MB/s: no poll can wait for it.
    OversizeSlow,
    /// The response head at one byte a second.
    TrickleHead,
    /// A complete head, then the body at one byte a second.
    TrickleBody,
    /// `Content-Length` 100000, half of it, then close.
    DieMidBody,
    /// A TLS alert to a plain HTTP request: the exporter speaks http to an https server.
    TlsMismatch,
}

/// What [`Mode::Pass`] answers.
pub enum Upstream {
    /// Forward to this base URL (`http://host:port`): the request's path, method and body.
    Forward(String),
    /// Answer every request with this recorded body.
    Recorded { body: String, content_type: &'static str },
}

pub const OVERSIZE: u64 = 200 * 1024 * 1024;
const BLOCK: usize = 64 * 1024;

pub struct FaultServer {
    pub port: u16,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    mode: watch::Sender<Mode>,
    upstream: Upstream,
    /// The body [`Mode::WrongShape`] answers.
    wrong_shape: String,
    client: reqwest::Client,
    accepted: AtomicU64,
    /// Connections accepted before this generation are frozen.
    frozen_before: AtomicU64,
}

impl FaultServer {
    /// Listens on a free port of 127.0.0.1, in [`Mode::Pass`].
    pub async fn start(upstream: Upstream, wrong_shape: &str) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            mode: watch::channel(Mode::Pass).0,
            upstream,
            wrong_shape: wrong_shape.to_owned(),
            client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            accepted: AtomicU64::new(0),
            frozen_before: AtomicU64::new(0),
        });
        let state = shared.clone();
        let refusing = shared.mode.subscribe();
        let task = tokio::spawn(accept_loop(
            listener,
            refusing,
            |mode| *mode == Mode::Refuse,
            move |stream| {
                if *state.mode.borrow() == Mode::CloseAtAccept {
                    return drop(stream);
                }
                let generation = state.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(serve(stream, generation, state.clone()));
            },
        ));
        FaultServer { port, shared, task }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set(&self, mode: Mode) {
        if mode == Mode::Freeze {
            let accepted = self.shared.accepted.load(Ordering::SeqCst);
            self.shared.frozen_before.store(accepted + 1, Ordering::SeqCst);
        }
        self.shared.mode.send_replace(mode);
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts connections on `listener`'s port and hands them to `on_accept`; while `refusing`
/// holds of the mode, nothing listens on the port at all (a client's connect is refused).
pub async fn accept_loop<M: Send + Sync + 'static>(
    listener: TcpListener,
    mut mode: watch::Receiver<M>,
    refusing: fn(&M) -> bool,
    mut on_accept: impl FnMut(TcpStream) + Send,
) {
    let address = listener.local_addr().unwrap();
    let mut listener = Some(listener);
    loop {
        match &listener {
            Some(open) if !refusing(&mode.borrow_and_update()) => tokio::select! {
                accepted = open.accept() => if let Ok((stream, _)) = accepted { on_accept(stream) },
                _ = mode.changed() => {}
            },
            Some(_) => listener = None,
            None if refusing(&mode.borrow_and_update()) => {
                if mode.changed().await.is_err() {
                    return;
                }
            }
            // SO_REUSEADDR (tokio sets it) lets us bind again while old connections linger.
            None => listener = Some(TcpListener::bind(address).await.expect("the port is still ours")),
        }
    }
}

/// One connection: requests in turn, each answered as the mode says when it arrives.
async fn serve(stream: TcpStream, generation: u64, shared: Arc<Shared>) {
    let mut mode_changes = shared.mode.subscribe();
    let mut stream = BufReader::new(stream);
    loop {
        let request = tokio::select! {
            request = read_request(&mut stream) => request,
            // A server that stops listening closes its connections too.
            _ = mode_changes.wait_for(|mode| *mode == Mode::Refuse) => return,
        };
        let Some(request) = request else { return };
        let mode = match *shared.mode.borrow() {
            Mode::Freeze if generation >= shared.frozen_before.load(Ordering::SeqCst) => Mode::Pass,
            Mode::Freeze => Mode::Hang,
            mode => mode,
        };
        if !answer(&mut stream, mode, request, &shared).await {
            return;
        }
    }
}

struct Request {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// Reads one request; `None` at the end of the connection or on what is not HTTP (a TLS
/// ClientHello is answered 400 first, as a plain HTTP server does).
async fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Request> {
    let first = *stream.fill_buf().await.ok()?.first()?;
    if !first.is_ascii_uppercase() {
        let _ = stream.get_mut().write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").await;
        return None;
    }
    let mut line = String::new();
    stream.read_line(&mut line).await.ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
    let (mut length, mut content_type) = (0, None);
    loop {
        line.clear();
        if stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let Some((name, value)) = line.trim_end().split_once(':') else { break };
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "content-type" => content_type = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(Request { method, path, content_type, body })
}

/// Answers one request; false when the connection is done.
async fn answer(stream: &mut BufReader<TcpStream>, mode: Mode, request: Request, shared: &Shared) -> bool {
    let out = stream.get_mut();
    match mode {
        Mode::Pass => {
            let (status, content_type, body) = pass(request, shared).await;
            respond(out, &status, &content_type, &body).await
        }
        Mode::Status500 => respond(out, "500 Internal Server Error", "text/plain", b"upstream exploded").await,
        Mode::Garbage => respond(out, "200 OK", "application/octet-stream", &random_bytes(4096)).await,
        Mode::WrongShape => respond(out, "200 OK", "text/plain", shared.wrong_shape.as_bytes()).await,
        Mode::Hang | Mode::Freeze => {
            // Read and drop whatever comes, until the exporter gives up on the connection.
            let mut sink = [0; 4096];
            while matches!(stream.read(&mut sink).await, Ok(read) if read > 0) {}
            false
        }
        _ => {
            // The exporter may well hang up first: how this ends is of no interest.
            let _ = fail(out, mode).await;
            false
        }
    }
}

/// A whole response; false when the exporter has hung up.
async fn respond(out: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) -> bool {
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len());
    out.write_all(head.as_bytes()).await.is_ok() && out.write_all(body).await.is_ok()
}

/// The modes that end the connection, each in its own way.
async fn fail(out: &mut TcpStream, mode: Mode) -> std::io::Result<()> {
    match mode {
        Mode::Reset => out.set_zero_linger(),
        Mode::OversizeFast => oversize(out, false, Duration::ZERO).await,
        Mode::OversizeChunked => oversize(out, true, Duration::ZERO).await,
        Mode::OversizeSlow => oversize(out, false, Duration::from_millis(50)).await,
        Mode::TrickleHead => trickle(out, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]").await,
        Mode::TrickleBody => {
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n").await?;
            trickle(out, &[b'['; 1000]).await
        }
        Mode::DieMidBody => {
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n").await?;
            out.write_all(&[b' '; 50_000]).await
        }
        // A fatal alert record (handshake_failure), as a TLS server answers bytes it cannot read.
        Mode::TlsMismatch => out.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]).await,
        // Closed without a word.
        _ => Ok(()),
    }
}

/// The upstream's answer to `request`: status line text, content type, body.
async fn pass(request: Request, shared: &Shared) -> (String, String, Vec<u8>) {
    let base = match &shared.upstream {
        Upstream::Recorded { body, content_type } => {
            return ("200 OK".into(), (*content_type).into(), body.clone().into_bytes());
        }
        Upstream::Forward(base) => base,
    };
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
    let mut forwarded = shared.client.request(method, format!("{base}{}", request.path)).body(request.body);
    if let Some(content_type) = request.content_type {
        forwarded = forwarded.header(reqwest::header::CONTENT_TYPE, content_type);
    }
    match forwarded.send().await {
        Ok(response) => {
            let status = response.status();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_owned();
            let body = response.bytes().await.map(|body| body.to_vec()).unwrap_or_default();
            (status.to_string(), content_type, body)
        }
        Err(error) => ("502 Bad Gateway".into(), "text/plain".into(), error.to_string().into_bytes()),
    }
}

/// 200 MB of body, `pause` between blocks of 64 KiB, until done or the exporter hangs up.
async fn oversize(out: &mut TcpStream, chunked: bool, pause: Duration) -> std::io::Result<()> {
    let head = if chunked {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned()
    } else {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {OVERSIZE}\r\n\r\n")
    };
    out.write_all(head.as_bytes()).await?;
    let block = [b'x'; BLOCK];
    for _ in 0..OVERSIZE / BLOCK as u64 {
        if chunked {
            out.write_all(format!("{BLOCK:x}\r\n").as_bytes()).await?;
        }
        out.write_all(&block).await?;
        if chunked {
            out.write_all(b"\r\n").await?;
        }
        tokio::time::sleep(pause).await;
    }
    if chunked {
        out.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}

/// One byte a second, until done or the exporter hangs up.
async fn trickle(out: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    for byte in bytes {
        out.write_all(&[*byte]).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

/// Bytes no parser will take for anything (xorshift; no need for a real generator).
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut state = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
