//! Jobs in the entity table. Access patterns are written in `jobs.rs`.

pub use opsflow_platform::store::*;

pub mod jobs;

pub use jobs::{JobRecord, JobStore};
