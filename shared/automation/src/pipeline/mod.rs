//! The `automation` queue's consumer.

pub mod automation_runner;
mod runner_config;
