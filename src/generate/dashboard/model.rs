//! What the dashboard is made of: rows of panels, each panel's queries built from catalog
//! constants, and the variables that filter them. The rows are in one file per concern beside
//! this one; `json` encodes them for Grafana.

use crate::catalog;
use crate::generate::lang::Text;
use crate::generate::panel::PanelId;
use crate::generate::promql::Selector;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visualization {
    Stat,
    StateTimeline,
    TimeSeries,
    Table,
}

impl Visualization {
    pub fn as_str(self) -> &'static str {
        match self {
            Visualization::Stat => "stat",
            Visualization::StateTimeline => "state-timeline",
            Visualization::TimeSeries => "timeseries",
            Visualization::Table => "table",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Query {
    pub expr: String,
    pub legend: &'static str,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub id: PanelId,
    pub title: Text,
    pub description: Text,
    pub visualization: Visualization,
    /// Grafana unit id (`s`, `none`, `ops`).
    pub unit: &'static str,
    pub queries: Vec<Query>,
    /// Grid columns out of 24.
    pub width: u32,
    /// Colour steps: the first applies from minus infinity, the others from their value.
    pub thresholds: Vec<(&'static str, f64)>,
    /// Values shown as text (states encoded as numbers).
    pub value_texts: Vec<(f64, &'static str, &'static str)>,
}

pub struct Row {
    pub id: PanelId,
    pub title: Text,
    pub panels: Vec<Panel>,
}

/// A dashboard variable filtering by a label of one catalog metric.
pub struct Variable {
    pub label: &'static str,
    pub title: Text,
    pub selector: Selector,
}

pub fn variables() -> Vec<Variable> {
    vec![
        Variable {
            label: "cluster",
            title: Text::new("클러스터", "Cluster"),
            selector: Selector::of(&catalog::CONNECTOR_STATE),
        },
        Variable {
            label: "connector",
            title: Text::new("커넥터", "Connector"),
            selector: Selector::of(&catalog::CONNECTOR_STATE).var("cluster"),
        },
    ]
}
