//! What stats offer the consumers that serve every module: nothing. The
//! dashboard is no entity (no event is about it), so there is no kind to
//! show or to hide.

use opsflow_platform::registry::Registry;

/// Adds the stats module's entity kinds to `registry`: none.
pub fn register(_registry: &mut Registry) {}
