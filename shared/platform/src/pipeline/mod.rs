//! The event pipeline behind the transactional outbox (DESIGN §4): the
//! table's stream, filtered to event items, reaches [`router`], which fans
//! every envelope out to the `audit`, `automation` and `webhooks` queues,
//! whose consumers live in the modules (`opsflow-audit`'s writer,
//! `opsflow-automation`'s runner).
//!
//! Delivery is at least once end to end: each step reports only what it
//! could not finish as a batch item failure, so the platform retries just
//! that, and every consumer is idempotent on the event id.

pub mod consumer;
pub mod queues;
pub mod router;
pub mod scheduler;
