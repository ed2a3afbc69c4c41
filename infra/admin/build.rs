//! Lists the modules whose data migrations `opsflow-admin migrate` runs:
//! every module crate in its `Cargo.toml`'s dependencies (see the
//! included file).

include!("../../shared/platform/build/modules.rs");
