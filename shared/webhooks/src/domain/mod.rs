//! The webhooks module's domain: newtypes that parse, and the pure rules a
//! subscription and a delivery obey. No storage, no HTTP.

pub mod address;
pub mod delivery;
pub mod retry;
pub mod signing;
pub mod subscription;
pub mod target;
