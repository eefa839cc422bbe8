//! What one run of `generate` is given ([`Options`]) and how it fails ([`GenerateError`]),
//! with the two serializers every output goes through.

use std::path::PathBuf;

use serde::Serialize;

use super::lang::Lang;
use crate::config::generate::Settings;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub lang: Lang,
    pub settings: Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid definition: {0}")]
    Definition(String),
    #[error("cannot serialize: {0}")]
    Serialize(String),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

pub fn yaml(value: &impl Serialize) -> Result<String, GenerateError> {
    serde_norway::to_string(value).map_err(|error| GenerateError::Serialize(error.to_string()))
}

pub fn json(value: &serde_json::Value) -> Result<String, GenerateError> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|error| GenerateError::Serialize(error.to_string()))
}
