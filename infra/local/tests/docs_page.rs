//! The interactive documentation `serve` answers at `/docs`, fetched from a
//! running platform as a browser would: the page, every file it loads, and
//! the OpenAPI document it shows; and the API's own paths, `$default`
//! included, untouched by it.

mod checkout;

use checkout::Served;
use serde_json::Value;

/// Every `src="…"` and `href="…"` of an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (start, _) in html.match_indices(attribute) {
            let rest = &html[start + attribute.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

async fn get(url: &str) -> (u16, String, Vec<u8>) {
    let response = reqwest::get(url).await.expect("the gateway answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, content_type, body)
}

#[tokio::test]
async fn the_docs_page_loads_swagger_ui_and_its_set_up_from_beneath_docs_only() {
    let served = Served::start("docs").await;
    let base = served.url();

    let (status, content_type, body) = get(&format!("{base}/docs")).await;
    let page = String::from_utf8(body).expect("UTF-8 HTML");
    let loaded = references(&page);
    let mut files = Vec::new();
    for reference in &loaded {
        files.push((reference.clone(), get(&format!("{base}{reference}")).await));
    }
    let (_, _, setup) = get(&format!("{base}/docs/opsflow-docs.js")).await;
    let setup = String::from_utf8(setup).expect("UTF-8 script");
    served.stop().await;

    assert_eq!(status, 200, "{page}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(
        loaded.contains(&"/docs/swagger-ui-bundle.js".to_owned())
            && loaded.contains(&"/docs/swagger-ui.css".to_owned())
            && loaded.contains(&"/docs/opsflow-docs.js".to_owned()),
        "the page loads Swagger UI's bundle, its stylesheet and the set-up: {loaded:?}"
    );
    for (reference, (status, content_type, body)) in files {
        assert!(
            reference.starts_with("/docs/"),
            "{reference} is fetched from outside /docs"
        );
        assert_eq!(status, 200, "{reference}");
        assert!(!body.is_empty(), "{reference} is empty");
        let expected = match reference.rsplit_once('.').map(|(_, e)| e) {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            _ => "image/png",
        };
        assert!(
            content_type.starts_with(expected),
            "{reference}: {content_type}"
        );
    }
    assert!(
        setup.contains("url: \"/docs/openapi.json\"") && setup.contains("validatorUrl: null"),
        "the set-up shows the local document and asks no online validator: {setup}"
    );
}

#[tokio::test]
async fn the_docs_serve_the_checked_in_openapi_document() {
    let served = Served::start("docs").await;

    let (status, content_type, body) = get(&format!("{}/docs/openapi.json", served.url())).await;
    served.stop().await;

    assert_eq!(status, 200);
    assert_eq!(content_type, "application/json");
    let served_document: Value = serde_json::from_slice(&body).expect("JSON");
    let checked_in: Value = serde_json::from_str(
        &std::fs::read_to_string(checkout::root().join("docs/openapi.json"))
            .expect("docs/openapi.json (`make openapi`)"),
    )
    .expect("JSON");
    assert_eq!(served_document, checked_in);
    assert!(
        served_document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        served_document["openapi"]
    );
    assert!(served_document["paths"]["/health"]["get"].is_object());
}

#[tokio::test]
async fn the_docs_leave_the_api_routes_and_default_alone_and_serve_no_other_file() {
    let served = Served::start("docs").await;
    let base = served.url();

    let (health, _, _) = get(&format!("{base}/api/v1/health")).await;
    let (unmatched, unmatched_type, _) = get(&format!("{base}/docsx")).await;
    let (escape, _, _) = get(&format!("{base}/docs/..%2F..%2Fpackage.json")).await;
    let (hidden, _, _) = get(&format!("{base}/docs/.package-lock.json")).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let trailing = no_redirects
        .get(format!("{base}/docs/"))
        .send()
        .await
        .expect("the gateway answers");
    served.stop().await;

    assert_eq!(health, 200, "the API's routes still answer");
    assert_eq!(unmatched, 404, "a path beside /docs is the API's");
    assert_eq!(unmatched_type, "application/problem+json");
    assert_eq!(escape, 404, "no file outside Swagger UI's folder");
    assert_eq!(hidden, 404, "no hidden file");
    assert_eq!(trailing.status(), 308, "/docs/ sends the browser to /docs");
    assert_eq!(trailing.headers()["location"], "/docs");
}
