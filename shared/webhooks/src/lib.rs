//! Webhooks: an integrator subscribes a URL to events and receives each one
//! as a signed `POST`. This crate holds the module's domain so far: the
//! signing secret and the Standard Webhooks signature ([`domain::signing`]),
//! and the policy that decides which URLs and addresses a delivery may reach
//! ([`domain::address`], [`domain::target`]). Every rule here is pure: no
//! I/O, so the service (subscriptions) and the dispatcher (delivery) apply
//! the same checks.

pub mod domain;
