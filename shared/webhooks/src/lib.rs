//! Webhooks: an integrator subscribes a URL to events and receives each one
//! as a signed `POST`. This crate holds the module's domain so far:
//! - the signing secret and the Standard Webhooks signature ([`domain::signing`]);
//! - which URLs and addresses a delivery may reach ([`domain::target`],
//!   [`domain::address`]);
//! - when a failed delivery is attempted again ([`domain::retry`]), and a
//!   delivery's states ([`domain::delivery`]);
//! - a subscription: what it receives, its secrets through a rotation, and
//!   when failures disable it ([`domain::subscription`]).
//!
//! Every rule here is pure, without I/O, so that the service (subscriptions)
//! and the dispatcher (deliveries) apply the same checks.

pub mod domain;
