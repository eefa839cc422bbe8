//! The one place that knows two sources at once. Sources never import each other; what one
//! needs of another passes through here:
//!
//! - [`facts`]: gathered from every observation before rendering (a slot's connector, the
//!   streaming MBeans the JMX bridges saw);
//! - [`published`]: handed from poll to poll (which outbox rows reached Kafka);
//! - [`freshness`]: whether a connector streams, idles, lags, stalled, snapshots or does not
//!   stream, from its streaming MBean and its slot;
//! - [`pipeline`]: the parts of one Debezium pipeline, end to end, for the status page.
//!
//! It imports only the catalog and the configuration, so the poll core and every source can
//! import it.

pub mod facts;
pub mod freshness;
pub mod pipeline;
pub mod published;

pub use facts::{DebeziumConnector, Facts, JmxFacts, SlotHolder, StreamingBean};
pub use published::{Newest, OutboxRoute, OutboxRouting, PublishedTopics};
