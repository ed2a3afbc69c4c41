//! The checked-in OpenAPI document is the one the code describes, it
//! describes exactly the routes `template.yaml` deploys, and it keeps
//! every module's schemas.

#![allow(clippy::unwrap_used)]

use opsflow_platform::openapi::PROBLEM_JSON;
use opsflow_platform::testkit::rbac::every_template_route;
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    serde_json::from_str(&opsflow_openapi::render().unwrap()).unwrap()
}

/// `METHOD /path` of every operation, with the operation.
fn operations(doc: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((
                    format!("{} {path}", method.to_uppercase()),
                    operation.clone(),
                ));
            }
        }
    }
    found
}

#[test]
fn the_checked_in_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let current = opsflow_openapi::render().unwrap();
    assert!(
        checked_in == current,
        "docs/openapi.json is stale: run `make openapi` and commit it"
    );
}

#[test]
fn it_describes_exactly_the_routes_the_template_deploys() {
    let described: BTreeSet<String> = operations(&document())
        .into_iter()
        .map(|(route, _)| route)
        .collect();
    let deployed: BTreeSet<String> = every_template_route()
        .into_iter()
        // The catch-all answers paths no route matches: not an operation.
        .filter(|route| route != "ANY $default")
        .collect();
    let undocumented: Vec<_> = deployed.difference(&described).collect();
    let undeployed: Vec<_> = described.difference(&deployed).collect();
    assert!(
        undocumented.is_empty() && undeployed.is_empty(),
        "routes in template.yaml but not in docs/openapi.json: {undocumented:?}; \
         in docs/openapi.json but not in template.yaml: {undeployed:?}"
    );
}

#[test]
fn every_route_but_the_probes_lives_under_api_v1() {
    let probes = ["GET /health", "GET /readiness"];
    for (route, _) in operations(&document()) {
        assert!(
            route.contains(" /api/v1/") || probes.contains(&route.as_str()),
            "{route} is outside /api/v1"
        );
    }
}

#[test]
fn every_operation_is_named_tagged_and_answers_errors_as_problems() {
    let doc = document();
    let shared = &doc["components"]["responses"];
    let mut ids = BTreeSet::new();
    for (route, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{route} has no operationId");
        assert!(ids.insert(id.to_owned()), "{route}: operationId {id} twice");
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{route} has no tag"
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{route} documents no success"
        );
        assert!(responses.contains_key("500"), "{route} lacks 500");
        for (status, response) in responses {
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            let response = match response["$ref"].as_str() {
                Some(reference) => {
                    let name = reference.trim_start_matches("#/components/responses/");
                    &shared[name]
                }
                None => response,
            };
            assert!(
                response["content"][PROBLEM_JSON].is_object(),
                "{route} {status} is not a problem document"
            );
        }
        let signed_in = operation["security"]
            .as_array()
            .is_some_and(|security| !security.is_empty());
        if signed_in {
            assert!(responses.contains_key("401"), "{route} lacks 401");
        }
    }
}

#[test]
fn it_is_openapi_3_1_with_the_bearer_scheme() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["info"]["title"], "Opsflow API");
}

#[test]
fn no_two_modules_give_one_schema_name_two_meanings() {
    // A merge keeps the first schema of a name and silently drops the
    // others: a module whose schema lost would describe its fields with
    // another module's meaning.
    let merged = serde_json::to_value(opsflow_openapi::document()).unwrap();
    for module in opsflow_openapi::modules() {
        let module = serde_json::to_value(module).unwrap();
        let Some(schemas) = module["components"]["schemas"].as_object() else {
            continue;
        };
        for (name, schema) in schemas {
            assert_eq!(
                &merged["components"]["schemas"][name], schema,
                "two schemas are named {name}: give one another name"
            );
        }
    }
}
