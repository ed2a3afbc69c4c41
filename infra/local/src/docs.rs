//! The interactive API documentation that `serve` answers at `/docs`:
//! Swagger UI, from the npm package `swagger-ui-dist` pinned in
//! `infra/local/package.json` (installed by `make setup`), showing
//! `docs/openapi.json`, itself served at `/docs/openapi.json`.
//!
//! These pages belong to the local runtime, not to the API: the gateway
//! answers them beside the template's routes and never matches them against
//! those routes (nor the `$default` route), and API Gateway in AWS does not
//! serve them.
//!
//! Invariant: the page loads everything it needs from beneath `/docs` (no
//! CDN, and the online validator badge is off); files are read on each
//! request, so a regenerated document shows on reload; and only a plain file
//! name directly in the Swagger UI folder is served (no `..`, no sub-folder,
//! no hidden file).

use axum::extract::{Path as UrlPath, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::{header, HeaderValue, StatusCode};
use std::path::{Path, PathBuf};

/// Where the documentation is served.
pub const DOCS_PATH: &str = "/docs";

/// The page: Swagger UI's stylesheet and bundle, then its set-up.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Opsflow API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="/docs/opsflow-docs.js" charset="utf-8"></script>
</body>
</html>
"#;

/// Swagger UI's set-up: the local document; `validatorUrl: null` keeps the
/// page from asking an online validator for a badge. The document names no
/// server, so "Try it out" calls this same gateway.
const SETUP: &str = r##"window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/docs/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: true,
    displayOperationId: true
  });
};
"##;

/// The setup script's file name beneath `/docs`.
const SETUP_FILE: &str = "opsflow-docs.js";

/// The files the documentation is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocsSite {
    /// The OpenAPI document (`docs/openapi.json`).
    pub document: PathBuf,
    /// The `swagger-ui-dist` package's folder.
    pub swagger_ui: PathBuf,
}

impl DocsSite {
    /// The document and Swagger UI of the checkout at `root`.
    pub fn in_checkout(root: &Path) -> Self {
        Self {
            document: root.join("docs/openapi.json"),
            swagger_ui: root.join("infra/local/node_modules/swagger-ui-dist"),
        }
    }

    /// Whether Swagger UI is installed (`make setup`).
    pub fn installed(&self) -> bool {
        self.swagger_ui.join("swagger-ui-bundle.js").is_file()
    }

    /// The routes beneath `/docs`, to serve beside the gateway's; warns
    /// when Swagger UI is missing, as the page cannot show the API then.
    pub fn router(self) -> axum::Router {
        if !self.installed() {
            tracing::warn!(
                "Swagger UI is not installed, so /docs cannot show the API: run `make setup`"
            );
        }
        axum::Router::new()
            .route(DOCS_PATH, get(page))
            .route("/docs/", get(|| async { Redirect::permanent(DOCS_PATH) }))
            .route("/docs/openapi.json", get(document))
            .route("/docs/{file}", get(asset))
            .with_state(self)
    }
}

async fn page(State(site): State<DocsSite>) -> Response {
    if !site.installed() {
        return not_here(
            StatusCode::SERVICE_UNAVAILABLE,
            "Swagger UI is not installed in this checkout: run `make setup`.",
        );
    }
    typed(PAGE.as_bytes().to_vec(), "text/html; charset=utf-8")
}

async fn document(State(site): State<DocsSite>) -> Response {
    match tokio::fs::read(&site.document).await {
        Ok(bytes) => typed(bytes, "application/json"),
        Err(_) => not_here(
            StatusCode::NOT_FOUND,
            "docs/openapi.json is missing: run `make openapi`.",
        ),
    }
}

async fn asset(State(site): State<DocsSite>, UrlPath(file): UrlPath<String>) -> Response {
    if file == SETUP_FILE {
        return typed(SETUP.as_bytes().to_vec(), "text/javascript; charset=utf-8");
    }
    let plain = !file.is_empty()
        && !file.starts_with('.')
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !plain {
        return not_here(StatusCode::NOT_FOUND, "No such file.");
    }
    match tokio::fs::read(site.swagger_ui.join(&file)).await {
        Ok(bytes) => typed(bytes, content_type(&file)),
        Err(_) if !site.installed() => not_here(
            StatusCode::NOT_FOUND,
            "Swagger UI is not installed in this checkout: run `make setup`.",
        ),
        Err(_) => not_here(StatusCode::NOT_FOUND, "No such file."),
    }
}

/// The media type of a Swagger UI file, by its extension.
fn content_type(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("png") => "image/png",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A body with its media type, never cached (the files change with
/// `make setup` and `make openapi`).
fn typed(body: Vec<u8>, media_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A plain-text answer saying what is missing.
fn not_here(status: StatusCode, message: &'static str) -> Response {
    let mut response = (status, format!("{message}\n")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn swagger_ui_files_get_their_media_types() {
        assert_eq!(
            content_type("swagger-ui-bundle.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("swagger-ui.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("favicon-32x32.png"), "image/png");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
