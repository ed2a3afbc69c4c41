//! Support for the `pipeline_faults` test: the fault-injecting SQS proxy,
//! the router and audit writer as in-process functions with their faults,
//! the committed changes, and the tables and queues on the emulators.

pub mod changes;
pub mod emulators;
pub mod functions;
pub mod mappings;
pub mod sqs_proxy;

use serde_json::Value;

/// The `id` of the envelope in a message body, if it is one.
pub fn envelope_id(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value["id"].as_str().map(str::to_owned)
}
