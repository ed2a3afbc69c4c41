//! The inventory's real answers are the ones its OpenAPI description
//! promises: for each route, a success and each error it documents,
//! checked for status, media type and body schema; and the `{sku}`
//! parameter's format is the one `Sku::parse` accepts.

use crate::helpers::{page_column, Account, Call, Reply, TestEnv};
use crate::{at, create};
use opsflow_inventory::domain::Sku;
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, check, document, resolved_references};
use serde_json::{json, Value};

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

/// A code no SKU has, and one no SKU can have.
const NOWHERE: &str = "NOPE-404";
const MALFORMED: &str = "not_a_sku";

const LIST: &str = "GET /api/v1/inventory";
const LOW: &str = "GET /api/v1/inventory/low-stock";
const CREATE: &str = "POST /api/v1/inventory";
const GET: &str = "GET /api/v1/inventory/{sku}";
const PATCH: &str = "PATCH /api/v1/inventory/{sku}";
const ADJUST: &str = "POST /api/v1/inventory/{sku}/adjust";

fn desk() -> Value {
    json!({
        "sku": "desk-120",
        "name": "Standing desk, 120 cm",
        "unit_price": 45000,
        "quantity": 40,
        "low_stock_threshold": 10
    })
}

/// A body over the 64 KiB a route reads.
fn oversized() -> Value {
    json!({"sku": "BIG-1", "name": "d".repeat(65 * 1024), "unit_price": 1, "reason": "big"})
}

/// An environment with an admin, a user and an approver (who may only
/// read), and SKU `DESK-120` (40 units, threshold 10).
async fn office() -> (TestEnv, Account, Account, Account) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    create(&env, &admin, desk()).await;
    (env, admin, user, approver)
}

#[tokio::test]
async fn create_answers_match_the_description() {
    let doc = document(opsflow_inventory::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    let post = |body: Value| Call::new("inventory/create").body(body);
    let keyed = |key: &str, body: Value| post(body).header("idempotency-key", key);

    let created = env.call(keyed("sku-1", desk()).by(&admin)).await;
    conforms(&doc, CREATE, &created, 201);
    assert_eq!(
        created.header("location"),
        Some("/api/v1/inventory/DESK-120")
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["sku"], "DESK-120");
    let replayed = env.call(keyed("sku-1", desk()).by(&admin)).await;
    conforms(&doc, CREATE, &replayed, 201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    let reused = keyed(
        "sku-1",
        json!({"sku": "LAMP-1", "name": "Lamp", "unit_price": 1}),
    );
    conforms(&doc, CREATE, &env.call(reused.by(&admin)).await, 422);
    let bad_key = env.call(keyed("two words", desk()).by(&admin)).await;
    conforms(&doc, CREATE, &bad_key, 400);

    // A taken code, in any case.
    let taken = json!({"sku": "Desk-120", "name": "Other", "unit_price": 1});
    conforms(&doc, CREATE, &env.call(post(taken).by(&admin)).await, 409);
    let minimal = json!({"sku": "LAMP-1", "name": "Lamp", "unit_price": 0});
    let minimal = env.call(post(minimal).by(&admin)).await;
    conforms(&doc, CREATE, &minimal, 201);
    assert_eq!(minimal.body["quantity"], 0);
    assert_eq!(minimal.body["low_stock_threshold"], 20);
    assert_eq!(minimal.body["low_stock"], true);

    for invalid in [
        json!({"sku": "a", "name": "x", "unit_price": 1}),
        json!({"sku": "-AB", "name": "x", "unit_price": 1}),
        json!({"sku": "OK-1", "name": " ", "unit_price": 1}),
        json!({"sku": "OK-1", "name": "two\nlines", "unit_price": 1}),
        json!({"sku": "OK-1", "name": "x", "unit_price": -1}),
        json!({"sku": "OK-1", "name": "x", "unit_price": 10_000_000_001_i64}),
        json!({"sku": "OK-1", "name": "x", "unit_price": 1, "quantity": 1_000_000_001}),
        json!({"sku": "OK-1", "name": "x", "unit_price": 1, "low_stock_threshold": -1}),
        json!({"sku": "OK-1", "name": "x\u{1}", "unit_price": 1}),
        json!({"sku": "OK-1", "name": "x"}),
        json!({}),
    ] {
        let reply = env.call(post(invalid.clone()).by(&admin)).await;
        assert_eq!(reply.status, 422, "{invalid}: {}", reply.body);
        assert_conforms(&doc, CREATE, &reply);
    }
    let unknown = json!({"sku": "OK-1", "name": "x", "unit_price": 1, "colour": "red"});
    conforms(&doc, CREATE, &env.call(post(unknown).by(&admin)).await, 400);
    let fractional = json!({"sku": "OK-1", "name": "x", "unit_price": 1.5});
    conforms(
        &doc,
        CREATE,
        &env.call(post(fractional).by(&admin)).await,
        400,
    );
    let garbled = Call::new("inventory/create").raw_body("{\"sku\": ");
    conforms(&doc, CREATE, &env.call(garbled.by(&admin)).await, 400);
    let listed = Call::new("inventory/create").raw_body("[\"OK-1\"]");
    conforms(&doc, CREATE, &env.call(listed.by(&admin)).await, 400);
    let text = post(desk()).header("content-type", "text/plain");
    conforms(&doc, CREATE, &env.call(text.by(&admin)).await, 415);
    let large = env.call(post(oversized()).by(&admin)).await;
    conforms(&doc, CREATE, &large, 413);

    // 403 before anything else: a valid body, a taken code, garbage.
    let fresh = json!({"sku": "FRESH-1", "name": "Fresh", "unit_price": 1});
    for who in [&user, &approver] {
        conforms(
            &doc,
            CREATE,
            &env.call(post(fresh.clone()).by(who)).await,
            403,
        );
    }
    conforms(&doc, CREATE, &env.call(post(desk()).by(&user)).await, 403);
    let garbage = Call::new("inventory/create").raw_body("{");
    conforms(&doc, CREATE, &env.call(garbage.by(&user)).await, 403);
}

#[tokio::test]
async fn list_answers_match_the_description() {
    let doc = document(opsflow_inventory::openapi::doc());
    let (env, admin, user, approver) = office().await;
    for low in [
        json!({"sku": "CABLE-1", "name": "Cable", "unit_price": 500, "quantity": 5}),
        json!({"sku": "MOUSE-2", "name": "Mouse", "unit_price": 1500}),
    ] {
        create(&env, &admin, low).await;
    }

    for (route, fixture, codes) in [
        (
            LIST,
            "inventory/list",
            vec!["CABLE-1", "DESK-120", "MOUSE-2"],
        ),
        (LOW, "inventory/low-stock", vec!["CABLE-1", "MOUSE-2"]),
    ] {
        let list = |query: &[(&str, &str)]| Call::new(fixture).query(query);
        for who in [&admin, &user, &approver] {
            let all = env.call(list(&[]).by(who)).await;
            conforms(&doc, route, &all, 200);
            assert_eq!(page_column(&all.body, "sku"), codes, "{route}");
            assert_eq!(all.body["next_cursor"], Value::Null);
        }
        let first = env.call(list(&[("limit", "1")]).by(&user)).await;
        conforms(&doc, route, &first, 200);
        assert_eq!(page_column(&first.body, "sku"), codes[..1]);
        let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
        let next = list(&[("limit", "5"), ("cursor", &cursor)]);
        let next = env.call(next.by(&user)).await;
        conforms(&doc, route, &next, 200);
        assert_eq!(page_column(&next.body, "sku"), codes[1..]);

        for limit in ["0", "101"] {
            let bad = env.call(list(&[("limit", limit)]).by(&user)).await;
            conforms(&doc, route, &bad, 422);
        }
        for query in [
            [("low", "true")],
            [("cursor", "forged")],
            [("limit", "all")],
        ] {
            let bad = env.call(list(&query).by(&user)).await;
            conforms(&doc, route, &bad, 400);
        }
        let twice = list(&[("limit", "1"), ("limit", "2")]);
        conforms(&doc, route, &env.call(twice.by(&user)).await, 400);
    }

    // A cursor only pages the listing that issued it.
    let whole = Call::new("inventory/list").query(&[("limit", "1")]);
    let whole = env.call(whole.by(&user)).await;
    let cursor = whole.body["next_cursor"].as_str().unwrap();
    let elsewhere = Call::new("inventory/low-stock").query(&[("cursor", cursor)]);
    conforms(&doc, LOW, &env.call(elsewhere.by(&user)).await, 400);
}

#[tokio::test]
async fn read_answers_match_the_description() {
    let doc = document(opsflow_inventory::openapi::doc());
    let (env, _, user, approver) = office().await;

    for (who, code) in [(&user, "DESK-120"), (&approver, "desk-120")] {
        let read = env.call(at("inventory/get", code).by(who)).await;
        conforms(&doc, GET, &read, 200);
        assert_eq!(read.header("etag"), Some("\"1\""));
        assert_eq!(read.body["sku"], "DESK-120");
    }
    for missing in [NOWHERE, MALFORMED, "A", "-AB"] {
        let reply = env.call(at("inventory/get", missing).by(&user)).await;
        conforms(&doc, GET, &reply, 404);
    }
}

#[tokio::test]
async fn change_answers_match_the_description() {
    let doc = document(opsflow_inventory::openapi::doc());
    let (env, admin, user, approver) = office().await;
    let patch = |sku: &str, body: Value| at("inventory/patch", sku).body(body);
    let price = json!({"unit_price": 42000});

    let changed = patch("DESK-120", price.clone()).header("if-match", "\"1\"");
    let changed = env.call(changed.by(&admin)).await;
    conforms(&doc, PATCH, &changed, 200);
    assert_eq!(changed.header("etag"), Some("\"2\""));
    assert_eq!(changed.body["unit_price"], 42000);
    let stale = patch("DESK-120", price.clone()).header("if-match", "\"1\"");
    conforms(&doc, PATCH, &env.call(stale.by(&admin)).await, 412);
    let garbled = patch("DESK-120", price.clone()).header("if-match", "latest");
    conforms(&doc, PATCH, &env.call(garbled.by(&admin)).await, 400);
    let behind = patch("DESK-120", json!({"name": "Behind", "version": 1}));
    conforms(&doc, PATCH, &env.call(behind.by(&admin)).await, 409);
    let every_field = json!({
        "name": "Standing desk",
        "unit_price": 0,
        "low_stock_threshold": 50,
        "version": 2
    });
    let by_version = env.call(patch("desk-120", every_field).by(&admin)).await;
    conforms(&doc, PATCH, &by_version, 200);
    assert_eq!(by_version.body["version"], 3);
    assert_eq!(by_version.body["low_stock"], true);

    for invalid in [
        json!({}),
        json!({"version": 3}),
        json!({"name": null}),
        json!({"name": "two\nlines"}),
        json!({"unit_price": -1}),
        json!({"low_stock_threshold": 1_000_000_001}),
    ] {
        let reply = env
            .call(patch("DESK-120", invalid.clone()).by(&admin))
            .await;
        assert_eq!(reply.status, 422, "{invalid}: {}", reply.body);
        assert_conforms(&doc, PATCH, &reply);
    }
    for malformed in [
        json!({"quantity": 5}),
        json!({"unit_price": "free"}),
        json!({"version": -1}),
    ] {
        let reply = env
            .call(patch("DESK-120", malformed.clone()).by(&admin))
            .await;
        assert_eq!(reply.status, 400, "{malformed}: {}", reply.body);
        assert_conforms(&doc, PATCH, &reply);
    }
    let text = patch("DESK-120", price.clone()).header("content-type", "text/plain");
    conforms(&doc, PATCH, &env.call(text.by(&admin)).await, 415);
    let large = env.call(patch("DESK-120", oversized()).by(&admin)).await;
    conforms(&doc, PATCH, &large, 413);
    for missing in [NOWHERE, MALFORMED] {
        let reply = env.call(patch(missing, price.clone()).by(&admin)).await;
        conforms(&doc, PATCH, &reply, 404);
    }

    // 403 before anything else: an existing SKU, a missing one, garbage.
    for who in [&user, &approver] {
        let refused = env.call(patch("DESK-120", price.clone()).by(who)).await;
        conforms(&doc, PATCH, &refused, 403);
    }
    let missing = env.call(patch(NOWHERE, price.clone()).by(&user)).await;
    conforms(&doc, PATCH, &missing, 403);
    let garbage = at("inventory/patch", MALFORMED).raw_body("{");
    conforms(&doc, PATCH, &env.call(garbage.by(&user)).await, 403);
    let read = env.call(at("inventory/get", "DESK-120").by(&user)).await;
    assert_eq!(read.body["version"], 3, "nothing refused was written");
}

#[tokio::test]
async fn adjust_answers_match_the_description() {
    let doc = document(opsflow_inventory::openapi::doc());
    let (env, admin, user, approver) = office().await;
    let adjust = |sku: &str, body: Value| at("inventory/adjust", sku).body(body);
    let out = |delta: i64| json!({"delta": delta, "reason": "Shipped to the Lyon office"});

    let moved = env.call(adjust("DESK-120", out(-15)).by(&admin)).await;
    conforms(&doc, ADJUST, &moved, 200);
    assert_eq!(moved.header("etag"), Some("\"2\""));
    assert_eq!(moved.body["quantity"], 25);
    // Adjustments read no `If-Match`: they apply to the current stock.
    let any_version = adjust("desk-120", out(5)).header("if-match", "\"1\"");
    let any_version = env.call(any_version.by(&admin)).await;
    conforms(&doc, ADJUST, &any_version, 200);
    assert_eq!(any_version.body["quantity"], 30);

    let short = env.call(adjust("DESK-120", out(-31)).by(&admin)).await;
    conforms(&doc, ADJUST, &short, 409);
    assert!(
        short.body["detail"].as_str().unwrap().contains("1 more"),
        "{}",
        short.body
    );
    for invalid in [
        out(0),
        out(-1_000_000_001),
        out(1_000_000_000),
        json!({"delta": 1, "reason": ""}),
        json!({"delta": 1, "reason": "two\nlines"}),
        json!({"delta": 1, "reason": "r".repeat(501)}),
        json!({"delta": 1}),
        json!({"reason": "count"}),
    ] {
        let reply = env
            .call(adjust("DESK-120", invalid.clone()).by(&admin))
            .await;
        assert_eq!(reply.status, 422, "{invalid}: {}", reply.body);
        assert_conforms(&doc, ADJUST, &reply);
    }
    for malformed in [
        json!({"delta": 1, "reason": "count", "version": 1}),
        json!({"delta": 1.5, "reason": "count"}),
        json!({"delta": "1", "reason": "count"}),
    ] {
        let reply = env
            .call(adjust("DESK-120", malformed.clone()).by(&admin))
            .await;
        assert_eq!(reply.status, 400, "{malformed}: {}", reply.body);
        assert_conforms(&doc, ADJUST, &reply);
    }
    let garbled = at("inventory/adjust", "DESK-120").raw_body("{\"delta\": ");
    conforms(&doc, ADJUST, &env.call(garbled.by(&admin)).await, 400);
    let text = adjust("DESK-120", out(1)).header("content-type", "text/plain");
    conforms(&doc, ADJUST, &env.call(text.by(&admin)).await, 415);
    let large = env.call(adjust("DESK-120", oversized()).by(&admin)).await;
    conforms(&doc, ADJUST, &large, 413);
    for missing in [NOWHERE, MALFORMED] {
        let reply = env.call(adjust(missing, out(1)).by(&admin)).await;
        conforms(&doc, ADJUST, &reply, 404);
    }

    // 403 before anything else: an existing SKU, a missing one, garbage.
    for who in [&user, &approver] {
        let refused = env.call(adjust("DESK-120", out(-1)).by(who)).await;
        conforms(&doc, ADJUST, &refused, 403);
    }
    let missing = env.call(adjust(NOWHERE, out(1)).by(&user)).await;
    conforms(&doc, ADJUST, &missing, 403);
    let garbage = at("inventory/adjust", MALFORMED).raw_body("{");
    conforms(&doc, ADJUST, &env.call(garbage.by(&user)).await, 403);
    let read = env.call(at("inventory/get", "DESK-120").by(&user)).await;
    assert_eq!(read.body["quantity"], 30, "nothing refused was applied");
}

/// Whether `value` matches `schema`, as the contract check reads it.
fn fits(schema: &Value, value: &str) -> bool {
    let doc = json!({"paths": {"/value": {"get": {"responses": {"200": {
        "content": {"application/json": {"schema": schema}}
    }}}}}});
    check(
        &doc,
        "GET /value",
        200,
        Some("application/json"),
        &json!(value),
    )
    .is_ok()
}

#[test]
fn the_documented_codes_are_the_ones_sku_parse_accepts() {
    let doc = document(opsflow_inventory::openapi::doc());
    let parameters = doc["paths"]["/api/v1/inventory/{sku}"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let path = &parameters.iter().find(|p| p["name"] == "sku").unwrap()["schema"];
    let schemas = &doc["components"]["schemas"];
    let body = &schemas["CreateSku"]["properties"]["sku"];
    let shown = &schemas["SkuView"]["properties"]["sku"];
    let long = "Z".repeat(32);
    let too_long = "Z".repeat(33);
    let good = ["DESK-120", "desk-120", "A1", "9-", "ab--", long.as_str()];
    let bad = [
        "",
        "A",
        "-AB",
        "AB_12",
        "AB 12",
        "AB.1",
        "É1",
        "ÀB",
        too_long.as_str(),
    ];
    for code in good {
        let sku = Sku::parse(code).unwrap();
        assert!(fits(path, code) && fits(body, code), "{code}");
        assert!(fits(shown, sku.as_str()), "{code} is shown as {sku}");
    }
    assert!(!fits(shown, "desk-120"), "a code is shown in upper case");
    for code in bad {
        assert!(Sku::parse(code).is_err(), "{code}");
        assert!(
            !fits(path, code) && !fits(body, code) && !fits(shown, code),
            "{code}"
        );
    }
}

#[test]
fn every_schema_the_description_names_is_in_it() {
    let doc = document(opsflow_inventory::openapi::doc());
    let found = resolved_references(&doc);
    assert!(found.iter().any(|r| r.ends_with("/SkuView")));
}
