//! The API's OpenAPI 3.1 description, `docs/openapi.json`: the kernel's
//! shared parts and probes ([`opsflow_platform::openapi`]) merged with each
//! module crate's `openapi` description of its routes. This crate is the
//! only one that turns the modules' `openapi` features on, so the Lambda
//! binaries never link the description.
//!
//! The checked-in document is generated, never edited: `make openapi`
//! rewrites it, and the tests fail while it is stale or while its routes
//! and `template.yaml`'s differ.

use opsflow_platform::openapi;
use utoipa::openapi::OpenApi;

/// Where the document lives, from the repository root.
pub const DOCUMENT_PATH: &str = "docs/openapi.json";

/// The whole description: every module merged into the kernel's base.
pub fn document() -> OpenApi {
    let mut doc = openapi::base();
    for module in modules() {
        doc.merge(module);
    }
    openapi::finish(&mut doc);
    doc
}

/// Each module's description of its routes, in the order they are merged.
pub fn modules() -> Vec<OpenApi> {
    vec![
        opsflow_identity::openapi::doc(),
        opsflow_audit::openapi::doc(),
        opsflow_approvals::openapi::doc(),
        opsflow_automation::openapi::doc(),
        opsflow_webhooks::openapi::doc(),
        opsflow_items::openapi::doc(),
        opsflow_jobs::openapi::doc(),
        opsflow_settings::openapi::doc(),
        opsflow_stats::openapi::doc(),
        opsflow_inventory::openapi::doc(),
        opsflow_orders::openapi::doc(),
        opsflow_insights::openapi::doc(),
    ]
}

/// The document as it is checked in: pretty JSON and a final newline.
pub fn render() -> anyhow::Result<String> {
    let mut text = document().to_pretty_json()?;
    text.push('\n');
    Ok(text)
}
