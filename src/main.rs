//! The `debezium-exporter` command: `serve` (the default) and `metrics`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::sync::watch;

use debezium_exporter::config::{Config, LogFormat, ServeFlags, WebConfigFile};
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Metrics) => {
            print!("{}", catalog::markdown_table());
            ExitCode::SUCCESS
        }
        Some(Command::Serve(flags)) => serve(&flags),
        None => serve(&cli.serve),
    }
}

fn serve(flags: &ServeFlags) -> ExitCode {
    let config = match Config::load(flags) {
        Ok(config) => config,
        Err(error) => return usage_error(&error),
    };
    let web = match &config.web.config_file {
        Some(path) => match WebConfigFile::from_file(path) {
            Ok(web) => web,
            Err(error) => return usage_error(&error),
        },
        None => WebConfigFile::default(),
    };
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

fn usage_error(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("debezium-exporter: {error}");
    ExitCode::from(2)
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{},hyper=warn,reqwest=warn", config.log.level.as_str()))
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
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
    let listener =
        tokio::net::TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))?;
    tracing::info!(%address, path = %config.web.telemetry_path, "serving metrics");
    let state = Arc::new(AppState::new(store, config.web.telemetry_path.clone(), web.basic_auth_users));
    axum::serve(listener, server::app(state)).with_graceful_shutdown(shutdown_signal()).await?;
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
