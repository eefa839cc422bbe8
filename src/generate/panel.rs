//! The dashboard's panel ids, fixed here (not positions) and apart from the dashboard, since
//! the alerts name the panel that shows them: their `dashboard_url` links and people's
//! bookmarks survive new panels.

/// A panel's stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PanelId(pub u32);

impl PanelId {
    pub const CONNECTOR_STATES: PanelId = PanelId(1);
    pub const TASK_STATES: PanelId = PanelId(2);
    pub const FAILED_CONNECTORS: PanelId = PanelId(3);
    pub const FAILED_TASKS: PanelId = PanelId(4);
    pub const SOURCE_HEALTH: PanelId = PanelId(20);
    pub const SLOT_LAG: PanelId = PanelId(30);
    pub const SLOT_RETAINED_WAL: PanelId = PanelId(31);
    pub const SLOT_WAL_STATUS: PanelId = PanelId(32);
    pub const SLOT_SAFE_WAL_SIZE: PanelId = PanelId(33);
    pub const SLOT_ACTIVE: PanelId = PanelId(34);
    pub const SLOT_ORPHANED: PanelId = PanelId(35);
    pub const WAL_WRITE_RATE: PanelId = PanelId(36);
    pub const OUTBOX_ROWS: PanelId = PanelId(40);
    pub const OUTBOX_OLDEST_AGE: PanelId = PanelId(41);
    pub const STREAMING_LAG: PanelId = PanelId(50);
    pub const STREAMING_EVENTS: PanelId = PanelId(51);
    pub const QUEUE_FREE: PanelId = PanelId(52);
    pub const FAILED_RECORDS: PanelId = PanelId(53);
    pub const STREAMING: PanelId = PanelId(54);
    pub const SOURCE_CONNECTED: PanelId = PanelId(55);
    pub const SNAPSHOT_STATE: PanelId = PanelId(60);
    pub const SNAPSHOT_TABLES: PanelId = PanelId(61);
    pub const SNAPSHOT_ROWS: PanelId = PanelId(62);
    pub const INTERNAL_TOPICS: PanelId = PanelId(70);
    pub const INTERNAL_TOPICS_COMPACTED: PanelId = PanelId(71);
    pub const CONSUMER_GROUP_LAG: PanelId = PanelId(72);
    pub const LAST_PUBLISHED_AGE: PanelId = PanelId(73);
    pub const SINCE_LAST_SUCCESS: PanelId = PanelId(21);
    pub const POLL_DURATION: PanelId = PanelId(22);
    pub const POLL_ERRORS: PanelId = PanelId(23);
    pub const ALERTS: PanelId = PanelId(90);
}
