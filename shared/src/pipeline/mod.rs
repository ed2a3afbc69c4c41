//! The event pipeline behind the transactional outbox (DESIGN §4): the
//! table's stream, filtered to event items, reaches [`router`], which fans
//! every envelope out to the `audit`, `automation` and `webhooks` queues;
//! [`audit_writer`] turns the `audit` queue into audit records, and
//! [`automation_runner`] the `automation` queue into rule runs.
//!
//! Delivery is at least once end to end: each step reports only what it
//! could not finish as a batch item failure, so the platform retries just
//! that, and every consumer is idempotent on the event id.

pub mod audit_writer;
pub mod automation_runner;
pub mod router;
