//! HTTP endpoints: `/metrics`, `/healthz`, `/readyz` and the status page at `/` (`status`).
//!
//! Handlers only read the snapshot store. The exposition is rendered once per change of the
//! store (not once per scrape) and kept until the next change; the process metrics in it are
//! therefore as of the last poll. Only the forms asked for are kept: Prometheus asks for gzip,
//! which is rendered straight into the encoder, so the plain text (37 MB at 8,000 connectors)
//! is never held for it (docs/soak.md).

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::render;
use crate::snapshot::Store;
use crate::status;

/// Prometheus text format, as `promtool` and Prometheus expect it.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What every handler shares.
pub struct AppState {
    pub store: Arc<Store>,
    pub telemetry_path: String,
    logins: Logins,
    rendered: Mutex<Rendered>,
    status: status::Settings,
}

/// Basic auth against the exporter-toolkit users, with bcrypt paid once per credential.
struct Logins {
    /// Username → bcrypt hash; empty means no auth.
    users: HashMap<String, String>,
    /// Checked against for an unknown user, so that it costs what a known one does and the
    /// answer's timing does not tell which usernames exist.
    decoy: Option<String>,
    /// SHA-256 of (user, password, hash) of logins bcrypt accepted, as the exporter-toolkit
    /// caches them: a scrape every few seconds would otherwise pay bcrypt (~90 ms) each time.
    verified: Mutex<std::collections::HashSet<[u8; 32]>>,
    /// At most this many bcrypt checks at once: a flood of wrong passwords queues here instead
    /// of filling the blocking pool; logins already verified never wait for it.
    checking: tokio::sync::Semaphore,
}

/// The most logins remembered; past it the memory starts again.
const MAX_VERIFIED: usize = 1024;

impl Logins {
    fn new(users: HashMap<String, String>) -> Self {
        let cost = users.values().find_map(|hash| hash.parse::<bcrypt::HashParts>().ok()).map(|parts| parts.get_cost());
        let decoy = cost.and_then(|cost| bcrypt::hash("debezium-exporter decoy", cost).ok());
        Logins { users, decoy, verified: Mutex::default(), checking: tokio::sync::Semaphore::new(2) }
    }

    async fn allows(&self, user: &str, password: &str) -> bool {
        let known = self.users.get(user);
        let Some(hash) = known.or(self.decoy.as_ref()) else { return false };
        let key = credential_key(user, password, hash);
        if known.is_some() && self.verified.lock().expect("login cache lock poisoned").contains(&key) {
            return true;
        }
        let Ok(_permit) = self.checking.acquire().await else { return false };
        let (password, checked) = (password.to_owned(), hash.clone());
        // bcrypt is slow on purpose: keep it off the async workers.
        let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &checked).unwrap_or(false))
            .await
            .unwrap_or(false);
        if !(matches && known.is_some()) {
            return false;
        }
        let mut verified = self.verified.lock().expect("login cache lock poisoned");
        if verified.len() >= MAX_VERIFIED {
            verified.clear();
        }
        verified.insert(key);
        true
    }
}

fn credential_key(user: &str, password: &str, hash: &str) -> [u8; 32] {
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    for part in [user, password, hash] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    digest.finalize().into()
}

/// The rendering of one generation of the store, in the forms asked for so far.
#[derive(Default)]
struct Rendered {
    generation: Option<u64>,
    plain: Option<Bytes>,
    gzip: Option<Bytes>,
    /// Sizes of the last plain and gzip forms, kept across generations: they size the next
    /// buffers, so that they are not doubled as they grow.
    plain_len: usize,
    gzip_len: usize,
}

impl AppState {
    pub fn new(store: Arc<Store>, telemetry_path: String, basic_auth_users: HashMap<String, String>) -> Self {
        let status = status::Settings { telemetry_path: telemetry_path.clone(), ..status::Settings::default() };
        AppState { store, telemetry_path, logins: Logins::new(basic_auth_users), rendered: Mutex::default(), status }
    }

    /// The status page's settings (runbook URL, thresholds, refresh) from the configuration.
    pub fn with_status(mut self, status: status::Settings) -> Self {
        self.status = status;
        self
    }

    /// The exposition for the store's current generation, plain or gzipped, each form made at
    /// most once: the plain text is inflated from the gzip form when there is one, and the
    /// other way round, rather than rendered again.
    fn exposition(&self, gzip: bool) -> Bytes {
        let mut cache = self.rendered.lock().expect("render cache lock poisoned");
        let generation = self.store.generation();
        if cache.generation != Some(generation) {
            // Dropped before the new rendering is made, not after.
            (cache.plain, cache.gzip) = (None, None);
            cache.generation = Some(generation);
        }
        let cache = &mut *cache;
        let (wanted, other) = if gzip { (&cache.gzip, &cache.plain) } else { (&cache.plain, &cache.gzip) };
        if let Some(body) = wanted {
            return body.clone();
        }
        let body = match (gzip, other) {
            (true, Some(plain)) => gzip_bytes(plain, cache.gzip_len),
            (false, Some(gzipped)) => gunzip_bytes(gzipped, cache.plain_len),
            (true, None) => {
                let mut encoder = GzEncoder::new(Vec::with_capacity(margin(cache.gzip_len)), Compression::fast());
                let plain_len = self.render_into(&mut encoder);
                cache.plain_len = plain_len;
                Bytes::from(encoder.finish().expect("writing to a Vec cannot fail"))
            }
            (false, None) => {
                let mut text = Vec::with_capacity(margin(cache.plain_len));
                self.render_into(&mut text);
                Bytes::from(text)
            }
        };
        if gzip {
            cache.gzip_len = body.len();
            cache.gzip = Some(body.clone());
        } else {
            cache.plain_len = body.len();
            cache.plain = Some(body.clone());
        }
        body
    }

    /// Writes the exposition of the store as it is now into `out`; returns its plain length.
    fn render_into(&self, out: &mut impl Write) -> usize {
        let mut out = BufWriter::with_capacity(64 << 10, Counted { inner: out, written: 0 });
        render::write(&render::collect(&self.store), &mut out).expect("writing to memory cannot fail");
        out.write_all(render::encode_process_metrics().as_bytes()).expect("writing to memory cannot fail");
        out.into_inner().map_err(|error| error.into_error()).expect("writing to memory cannot fail").written
    }
}

/// A buffer for about `len` bytes, with room for some growth since it was measured.
fn margin(len: usize) -> usize {
    (len + len / 8).max(4096)
}

/// A writer that counts what goes through it.
struct Counted<W> {
    inner: W,
    written: usize,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.written += written;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn gzip_bytes(plain: &[u8], last_len: usize) -> Bytes {
    let capacity = if last_len == 0 { plain.len() / 8 } else { margin(last_len) };
    let mut encoder = GzEncoder::new(Vec::with_capacity(capacity), Compression::fast());
    encoder.write_all(plain).expect("writing to a Vec cannot fail");
    Bytes::from(encoder.finish().expect("writing to a Vec cannot fail"))
}

/// The plain text back from its gzip form, into a buffer of its known length.
fn gunzip_bytes(gzipped: &[u8], plain_len: usize) -> Bytes {
    let mut plain = Vec::with_capacity(plain_len);
    flate2::read::GzDecoder::new(gzipped).read_to_end(&mut plain).expect("our own gzip output decodes");
    Bytes::from(plain)
}

/// The router, with its state; tests call it directly.
pub fn app(state: Arc<AppState>) -> Router {
    let path = state.telemetry_path.clone();
    Router::new()
        .route(&path, get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/", get(landing))
        .layer(middleware::from_fn_with_state(state.clone(), basic_auth))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let gzip = accepts_gzip(&headers);
    let body = state.exposition(gzip);
    let mut response = Response::new(Body::from(body));
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
    if gzip {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            // RFC 9110: a weight of 0 (`q=0`, `q=0.0`, `Q=0.000`) means "not acceptable".
            let refused = parts.any(|param| {
                let param = param.replace(' ', "");
                let weight = param.strip_prefix("q=").or_else(|| param.strip_prefix("Q="));
                weight.is_some_and(|weight| weight.parse::<f32>().map_or(true, |q| q <= 0.0))
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    if state.store.ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready: some sources have not been polled yet\n")
    }
}

/// Checks basic auth against the exporter-toolkit users, when any are configured.
async fn basic_auth(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if state.logins.users.is_empty() {
        return next.run(request).await;
    }
    let credentials = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| base64_decode(encoded.trim()))
        .and_then(|decoded| decoded.split_once(':').map(|(user, password)| (user.to_owned(), password.to_owned())));
    let allowed = match credentials {
        Some((user, password)) => state.logins.allows(&user, &password).await,
        None => false,
    };
    if allowed {
        next.run(request).await
    } else {
        (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"debezium-exporter\"")], "unauthorized\n")
            .into_response()
    }
}

fn base64_decode(encoded: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    String::from_utf8(bytes).ok()
}

/// The status page, in the language `?lang=` or `Accept-Language` asks for (`status::Lang`).
async fn landing(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Html<String> {
    let accepted = headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
    let lang = status::Lang::choose(query.get("lang").map(String::as_str), accepted);
    Html(status::render(&state.store, &state.status, lang, SystemTime::now()))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use crate::catalog::SourceKind;

    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    fn state(users: HashMap<String, String>) -> Arc<AppState> {
        let store = Arc::new(Store::new([(SourceKind::Connect, "dc<1>".to_owned())]));
        Arc::new(AppState::new(store, "/metrics".to_owned(), users))
    }

    async fn get(app: Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec();
        (parts.status, parts.headers, body)
    }

    #[tokio::test]
    async fn metrics_are_served_plain_or_gzipped() {
        let state = state(HashMap::new());
        let (status, headers, plain) = get(app(state.clone()), "/metrics", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], TEXT_FORMAT);
        assert!(String::from_utf8_lossy(&plain).contains("debezium_exporter_build_info"));

        let (_, headers, gzipped) = get(app(state), "/metrics", &[("accept-encoding", "br;q=1, gzip;q=0.5")]).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(gzipped.as_slice()).read_to_end(&mut unzipped).unwrap();
        assert_eq!(unzipped, plain);
    }

    #[tokio::test]
    async fn gzip_is_rendered_directly_and_plain_inflated_from_it() {
        let state = state(HashMap::new());
        let (_, headers, gzipped) = get(app(state.clone()), "/metrics", &[("accept-encoding", "gzip")]).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(gzipped.as_slice()).read_to_end(&mut unzipped).unwrap();
        let rendered = render::encode(&render::collect(&state.store));
        assert!(unzipped.starts_with(rendered.as_bytes()), "the same text as render::encode, then process metrics");
        assert!(unzipped.len() > rendered.len(), "with the process metrics");
        let (_, headers, plain) = get(app(state.clone()), "/metrics", &[]).await;
        assert!(!headers.contains_key(header::CONTENT_ENCODING));
        assert_eq!(plain, unzipped, "one rendering per generation, whichever form comes first");
        assert_eq!(state.rendered.lock().unwrap().plain_len, plain.len(), "the size of the next buffer");
    }

    #[tokio::test]
    async fn a_verified_login_skips_bcrypt_and_an_unknown_user_pays_for_it() {
        use futures::FutureExt;
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let logins = Logins::new(HashMap::from([("prometheus".to_owned(), hash)]));
        assert!(logins.allows("prometheus", "s3cret").await);
        assert!(!logins.allows("prometheus", "wrong").await);
        assert!(!logins.allows("nobody", "s3cret").await);

        // With every bcrypt slot taken, only what needs no bcrypt can answer at once.
        let _busy = logins.checking.acquire_many(2).await.unwrap();
        assert_eq!(logins.allows("prometheus", "s3cret").now_or_never(), Some(true), "verified once, not again");
        assert_eq!(logins.allows("prometheus", "wrong").now_or_never(), None, "a wrong password is checked");
        assert_eq!(logins.allows("nobody", "s3cret").now_or_never(), None, "an unknown user costs a check too");
    }

    #[test]
    fn gzip_refused_with_q0_is_not_used() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0, identity"));
        assert!(!accepts_gzip(&headers));
        for refused in ["gzip;q=0.0", "gzip; Q=0.000", "identity, gzip;q=0."] {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(refused));
            assert!(!accepts_gzip(&headers), "{refused}");
        }
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0.001"));
        assert!(accepts_gzip(&headers));
    }

    #[tokio::test]
    async fn ready_only_after_every_source_was_polled() {
        let state = state(HashMap::new());
        assert_eq!(get(app(state.clone()), "/readyz", &[]).await.0, StatusCode::SERVICE_UNAVAILABLE);
        state.store.update(&state.store.targets()[0], |target| target.polled = true);
        assert_eq!(get(app(state.clone()), "/readyz", &[]).await.0, StatusCode::OK);
        assert_eq!(get(app(state), "/healthz", &[]).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn landing_page_escapes_what_upstreams_say() {
        let state = state(HashMap::new());
        state.store.update(&state.store.targets()[0], |target| {
            target.polled = true;
            target.last_error = Some("<script>alert(1)</script>\u{1b}[2J\u{9b}31m\r".to_owned());
        });
        let (status, _, page) = get(app(state), "/", &[]).await;
        let page = String::from_utf8(page).unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("dc&lt;1&gt;") && page.contains("&lt;script&gt;"), "{page}");
        assert!(!page.contains("<script>"));
        assert!(!page.contains(['\u{1b}', '\u{9b}', '\r']), "{page:?}");
    }

    #[tokio::test]
    async fn basic_auth_guards_every_endpoint_when_configured() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let state = state(HashMap::from([("prometheus".to_owned(), hash)]));
        assert_eq!(get(app(state.clone()), "/metrics", &[]).await.0, StatusCode::UNAUTHORIZED);
        let wrong = format!("Basic {}", base64_encode("prometheus:nope"));
        assert_eq!(get(app(state.clone()), "/metrics", &[("authorization", &wrong)]).await.0, StatusCode::UNAUTHORIZED);
        let right = format!("Basic {}", base64_encode("prometheus:s3cret"));
        assert_eq!(get(app(state), "/metrics", &[("authorization", &right)]).await.0, StatusCode::OK);
    }

    fn base64_encode(text: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(text)
    }
}
