//! What the audit module offers the functions that serve every module.
//! Its records are not entities: rules do not act on them, `execute`
//! builds no event from them, and who may read them is decided per entry
//! by the module that owns the entry's kind. So it registers nothing; the
//! function exists so that every module joins a consumer the same way (a
//! dependency line in the consumer's `Cargo.toml`).

use opsflow_platform::registry::Registry;

/// Adds nothing: see the module's documentation.
pub fn register(_registry: &mut Registry) {}
