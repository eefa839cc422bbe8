//! The status page at `/`: one picture per Debezium pipeline (outbox table → replication slot
//! → connector and tasks → Kafka topics → consumer groups), each part coloured by its health
//! with its key figures, then the findings `check` prints with their runbook links.
//!
//! Rendered from the snapshot store only: the page never awaits an upstream. The joins between
//! sources are `join::pipeline`'s; [`model`] judges each part's health, [`page`] writes the
//! HTML (no script, nothing loaded from elsewhere, refreshed by `<meta http-equiv=refresh>`),
//! in English or Korean ([`words`]).

pub mod model;
pub mod page;
pub mod settings;
pub mod words;

use std::time::SystemTime;

use crate::snapshot::Store;

pub use crate::catalog::Lang;
pub use settings::Settings;

/// The page, as of `now`, in `lang`.
pub fn render(store: &Store, settings: &Settings, lang: Lang, now: SystemTime) -> String {
    page::html(&model::View::of(store, settings, now), settings, lang)
}
