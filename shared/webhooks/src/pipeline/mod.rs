//! The webhooks queue's consumer: it fans events out to the subscriptions
//! that want them and makes each delivery's attempts.

mod attempt;
pub mod dispatcher;
pub mod message;
pub mod send;

pub use attempt::LEASE;
pub use dispatcher::Dispatcher;
