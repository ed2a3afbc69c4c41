//! The insights module's consumers: the analyzer of approval events.

pub mod analyzer;
