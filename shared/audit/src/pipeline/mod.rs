//! The `audit` queue's consumer.

pub mod audit_writer;
