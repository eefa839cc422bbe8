//! The `debezium-exporter` command: `serve` (the default), `metrics` and `generate`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use axum_server::tls_rustls::RustlsConfig;
use clap::{Parser, Subcommand};
use tokio::sync::watch;

use debezium_exporter::config::{Config, LogFormat, ServeFlags, WebConfigFile};
use debezium_exporter::generate::{self, Lang, Options};
use debezium_exporter::listen;
use debezium_exporter::server::{self, AppState};
use debezium_exporter::snapshot::Store;
use debezium_exporter::source::{self, Schedule};
use debezium_exporter::{catalog, sources};

/// Prometheus exporter for Debezium CDC pipelines: Kafka Connect, Debezium, PostgreSQL, Kafka.
#[derive(Parser)]
#[command(name = "debezium-exporter", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand, these are the flags of `serve`.
    #[command(flatten)]
    serve: ServeFlags,
}

#[derive(Subcommand)]
enum Command {
    /// Poll the configured sources and serve /metrics (the default).
    Serve(Box<ServeFlags>),
    /// Print every metric the exporter can emit, as a Markdown table.
    Metrics,
    /// Write alert rules, their promtool tests, Alertmanager config, dashboards and the runbook.
    Generate(GenerateFlags),
    /// Poll every configured source once and say what needs attention and which runbook step
    /// fixes it. Exit code 0 when healthy, 1 when something needs attention, 2 on bad usage.
    Check(Box<CheckFlags>),
}

#[derive(clap::Args)]
struct CheckFlags {
    /// `text` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = CheckOutput::Text)]
    output: CheckOutput,
    /// The sources to check, given as for `serve`.
    #[command(flatten)]
    sources: ServeFlags,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckOutput {
    Text,
    Json,
}

#[derive(clap::Args)]
struct GenerateFlags {
    /// Directory to write into (alerts/, dashboards/, docs/ below it).
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Language of alert annotations and of the dashboard's titles and descriptions.
    #[arg(long, value_enum, default_value_t = Lang::Ko)]
    lang: Lang,
    /// URL of docs/runbook.md where your team reads it (the default, its path in this repository,
    /// does not open from a notification); overrides `generate.runbook_url`.
    #[arg(long = "runbook-url", value_name = "BASE")]
    runbook_url: Option<String>,
    /// Base URL of Grafana; overrides `generate.grafana_url`.
    #[arg(long = "grafana-url", value_name = "BASE")]
    grafana_url: Option<String>,
    /// YAML configuration file whose `generate` section sets thresholds and names.
    #[arg(long = "config.file", value_name = "FILE")]
    config_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    tune_malloc();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Metrics) => {
            print!("{}", catalog::markdown_table());
            ExitCode::SUCCESS
        }
        Some(Command::Generate(flags)) => {
            // The whole file is checked, as `serve` would check it, not only its `generate`.
            let settings = match &flags.config_file {
                Some(path) => {
                    let file = ServeFlags { config_file: Some(path.clone()), ..ServeFlags::default() };
                    match Config::load(&file) {
                        Ok(config) => config.generate,
                        Err(error) => return usage_error(&error),
                    }
                }
                None => generate::Settings::default(),
            };
            match run_generate(flags, settings) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("debezium-exporter: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Check(flags)) => check(&flags),
        Some(Command::Serve(flags)) => serve(&flags),
        None => serve(&cli.serve),
    }
}

/// glibc's malloc, set for a process that builds and drops multi-megabyte buffers on whichever
/// tokio worker is free (docs/soak.md): one arena instead of one per thread that allocated,
/// and buffers of 128 KiB and more mapped on their own and returned when freed, instead of a
/// threshold that climbs to 32 MiB after the first large free and leaves later buffers
/// resident in the heap. Left alone when the environment sets any of glibc's malloc settings
/// (`MALLOC_ARENA_MAX=16` is glibc's own default on two cores), and where the C library is not
/// glibc.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set_outside = std::env::vars_os().any(|(name, _)| {
            let name = name.to_string_lossy();
            name.starts_with("MALLOC_") || name == "GLIBC_TUNABLES"
        });
        if !set_outside {
            // SAFETY: mallopt only changes malloc's settings; it runs first thing in main,
            // before any other thread exists.
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 1);
                libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
            }
        }
    }
}

fn run_generate(flags: GenerateFlags, mut settings: generate::Settings) -> anyhow::Result<()> {
    if let Some(url) = flags.runbook_url {
        settings.runbook_url = url;
    }
    if let Some(url) = flags.grafana_url {
        settings.grafana_url = url;
    }
    for warning in settings.link_warnings() {
        eprintln!("debezium-exporter: note: {warning}");
    }
    let written = generate::write(&flags.out, &Options { lang: flags.lang, settings })?;
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn serve(flags: &ServeFlags) -> ExitCode {
    let mut config = match Config::load(flags) {
        Ok(config) => config,
        Err(error) => return usage_error(&error),
    };
    let web = std::mem::take(&mut config.web_file);
    init_tracing(&config);
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    match runtime.block_on(run(config, web)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

fn check(flags: &CheckFlags) -> ExitCode {
    let config = match Config::load(&flags.sources) {
        Ok(config) => config,
        Err(error) => return usage_error(&error),
    };
    if config.sources.is_empty() {
        return usage_error(&"check: no sources configured (give --config.file or source flags such as --connect.url)");
    }
    init_tracing(&config);
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    let report = match runtime.block_on(debezium_exporter::check::run(&config)) {
        Ok(report) => report,
        Err(error) => return usage_error(&format!("{error:#}")),
    };
    match flags.output {
        CheckOutput::Text => print!("{}", report.human()),
        CheckOutput::Json => println!("{}", report.json()),
    }
    if report.healthy() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn usage_error(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("debezium-exporter: {error}");
    ExitCode::from(2)
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{},hyper=warn,reqwest=warn", config.log.level.as_str()))
    });
    // Colours only on a terminal: a log file or journald would keep the escape codes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match config.log.format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(config: Config, web: WebConfigFile) -> anyhow::Result<()> {
    let configured = sources::from_config(&config)?;
    if configured.is_empty() {
        tracing::warn!("no sources configured: only the exporter's own metrics will be served (see --help)");
    }
    let store = Arc::new(Store::new(configured.iter().map(|c| (c.source.kind(), c.source.target().to_owned()))));
    let (stop, stopped) = watch::channel(false);
    let mut pollers = Vec::new();
    for (configured, target) in configured.into_iter().zip(store.targets().to_vec()) {
        let schedule = Schedule { interval: config.poll.interval, timeout: configured.timeout };
        pollers.push(tokio::spawn(source::run(configured.source, target, store.clone(), schedule, stopped.clone())));
    }

    let address = config.listen_address()?;
    let state = AppState::new(store, config.web.telemetry_path.clone(), web.basic_auth_users)
        .with_status(debezium_exporter::status::Settings::from_config(&config));
    let state = Arc::new(state);
    let app = server::app(state);
    let limits = listen::Limits {
        max_connections: config.web.max_connections,
        read_header_timeout: config.web.read_header_timeout,
        idle_timeout: config.web.idle_timeout,
    };
    let tls = match &web.tls_server_config {
        Some(tls) => {
            let rustls = RustlsConfig::from_pem_file(&tls.cert_file, &tls.key_file)
                .await
                .with_context(|| format!("cannot load {} and {}", tls.cert_file.display(), tls.key_file.display()))?;
            Some(rustls.get_inner())
        }
        None => None,
    };
    listen::raise_open_files_limit();
    let listener =
        tokio::net::TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))?;
    let scheme = if tls.is_some() { "HTTPS" } else { "HTTP" };
    tracing::info!(%address, path = %config.web.telemetry_path, "serving metrics over {scheme}");
    listen::serve(listener, app, tls, limits, shutdown_signal()).await;
    let _ = stop.send(true);
    for poller in pollers {
        let _ = poller.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
