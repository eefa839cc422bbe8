//! A rate-limited scraper, for `scripts/soak`: GETs URL RATE times a second with
//! `Accept-Encoding: gzip`, as Prometheus does, and reports what it saw.
//!
//! Open loop: a request starts every 1/RATE s whether or not the previous ones finished
//! (wrk cannot hold a rate), so a slow answer shows as latency instead of lowering the rate.
//! A scrape fails when it is not a 200 with a gzip body, or takes more than TIMEOUT seconds.
//! At most 256 are in flight; a tick finding all of them busy counts as a failure too.
//!
//! Usage: `scrape_load URL RATE SECONDS [TIMEOUT]` (timeout default 10). Prints `key=value`
//! lines at the end; to stderr, a progress line every minute and the first transport errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Semaphore};

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    non_200: AtomicU64,
    timeouts: AtomicU64,
    errors: AtomicU64,
    /// Answers that were not gzip, or did not decompress to an exposition.
    bad_body: AtomicU64,
    saturated: AtomicU64,
    body_bytes: AtomicU64,
}

impl Tally {
    fn failed(&self) -> u64 {
        [&self.non_200, &self.timeouts, &self.errors, &self.bad_body, &self.saturated]
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }
}

/// Whether a gzip body decompresses to something with Prometheus families in it.
fn is_exposition(gzip: &[u8]) -> bool {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(gzip).read_to_string(&mut text).is_ok() && text.contains("# TYPE ")
}

async fn scrape(client: &reqwest::Client, url: &str, check_body: bool, tally: &Tally) -> Option<f64> {
    let started = Instant::now();
    let response = match client.get(url).header("Accept-Encoding", "gzip").send().await {
        Ok(response) => response,
        Err(error) if error.is_timeout() => {
            tally.timeouts.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Err(error) => {
            if tally.errors.fetch_add(1, Ordering::Relaxed) < 5 {
                eprintln!("scrape_load: {}", describe(&error));
            }
            return None;
        }
    };
    let status = response.status();
    let gzipped = response.headers().get("content-encoding").is_some_and(|value| value == "gzip");
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) => {
            let count = if error.is_timeout() { &tally.timeouts } else { &tally.errors };
            if count.fetch_add(1, Ordering::Relaxed) < 5 {
                eprintln!("scrape_load: reading the body: {}", describe(&error));
            }
            return None;
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    if status != reqwest::StatusCode::OK {
        tally.non_200.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    // Decompressing every answer would cost the generator more than the exporter; every
    // hundredth is enough to know the bodies are right.
    if !gzipped || !body.starts_with(&[0x1f, 0x8b]) || (check_body && !is_exposition(&body)) {
        tally.bad_body.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    tally.body_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    tally.ok.fetch_add(1, Ordering::Relaxed);
    Some(elapsed)
}

/// The error with its causes: reqwest's own message rarely says what happened.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let usage = "usage: scrape_load URL RATE SECONDS [TIMEOUT_SECONDS]";
    let mut args = std::env::args().skip(1);
    let url = args.next().expect(usage);
    let rate: f64 = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let seconds: f64 = args.next().and_then(|arg| arg.parse().ok()).expect(usage);
    let timeout: f64 = args.next().map_or(10.0, |arg| arg.parse().expect(usage));

    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(timeout))
            .build()
            .expect("cannot build the HTTP client");
        let url: Arc<str> = url.into();
        let tally = Arc::new(Tally::default());
        let latencies = Arc::new(Mutex::new(Vec::with_capacity((rate * seconds) as usize + 16)));
        let in_flight = Arc::new(Semaphore::new(256));
        let total = (rate * seconds).round() as u64;
        // Burst (the default) catches up after a stall of the generator itself, so the count
        // over the whole run is what was asked for.
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(total as usize);
        // Scrapes started in each second of the run: the rate held, not just its average.
        let mut per_second = vec![0u32; seconds.ceil() as usize + 1];
        for sent in 0..total {
            ticker.tick().await;
            if let Some(bucket) = per_second.get_mut(started.elapsed().as_secs() as usize) {
                *bucket += 1;
            }
            if sent > 0 && sent % (rate as u64 * 60).max(1) == 0 {
                eprintln!(
                    "scrape_load: {:.0} s, {sent} started, {} ok, {} failed",
                    started.elapsed().as_secs_f64(),
                    tally.ok.load(Ordering::Relaxed),
                    tally.failed()
                );
            }
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                tally.saturated.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            let (client, url, tally, latencies) = (client.clone(), url.clone(), tally.clone(), latencies.clone());
            tasks.push(tokio::spawn(async move {
                if let Some(latency) = scrape(&client, &url, sent % 100 == 0, &tally).await {
                    latencies.lock().await.push(latency);
                }
                drop(permit);
            }));
        }
        let sending = started.elapsed().as_secs_f64();
        for task in tasks {
            let _ = task.await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let mut latencies = latencies.lock().await.clone();
        latencies.sort_by(f64::total_cmp);
        let ok = tally.ok.load(Ordering::Relaxed);
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        println!("requested={total}");
        println!("started_rate={:.2}", total as f64 / sending);
        // The last second may be partial: left out.
        let whole = &per_second[..(sending.floor() as usize).min(per_second.len())];
        println!("per_second_min={}", whole.iter().min().copied().unwrap_or(0));
        println!("per_second_max={}", whole.iter().max().copied().unwrap_or(0));
        println!("completed_rate={:.2}", (ok + tally.failed()) as f64 / elapsed);
        println!("ok={ok}");
        println!("failed={}", tally.failed());
        println!("non_200={}", count(&tally.non_200));
        println!("timeouts={}", count(&tally.timeouts));
        println!("errors={}", count(&tally.errors));
        println!("bad_body={}", count(&tally.bad_body));
        println!("saturated={}", count(&tally.saturated));
        println!("gzip_bytes_mean={}", count(&tally.body_bytes).checked_div(ok).unwrap_or(0));
        println!("p50_ms={:.2}", percentile(&latencies, 0.50) * 1e3);
        println!("p99_ms={:.2}", percentile(&latencies, 0.99) * 1e3);
        println!("max_ms={:.2}", latencies.last().copied().unwrap_or(f64::NAN) * 1e3);
    });
}
