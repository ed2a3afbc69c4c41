//! Lists the modules this function serves: every module crate in its
//! `Cargo.toml`'s dependencies (see the included file).

include!("../../shared/platform/build/modules.rs");
