//! The orders' real answers are the ones their OpenAPI description
//! promises: for each route, a success and each error it documents,
//! checked for status, media type and body schema; the SKU codes it
//! documents are the ones `Sku::parse` accepts, and its statuses the
//! domain's.

use crate::helpers::{page_column, Account, Call, Reply, TestEnv};
use crate::{at, move_to, order, stock, units};
use opsflow_inventory::domain::Sku;
use opsflow_orders::domain::OrderStatus;
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, check, document, resolved_references};
use serde_json::{json, Value};

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

fn description() -> Value {
    document(opsflow_orders::openapi::doc())
}

/// An id no order has, and one no order can have.
const NOWHERE: &str = "0193b2a4-7a00-7b00-8c00-0000000000a1";
const MALFORMED: &str = "not-an-id";

const LIST: &str = "GET /api/v1/orders";
const PLACE: &str = "POST /api/v1/orders";
const GET: &str = "GET /api/v1/orders/{id}";
const PATCH: &str = "PATCH /api/v1/orders/{id}";
const TIMELINE: &str = "GET /api/v1/orders/{id}/timeline";
const DELETE: &str = "DELETE /api/v1/orders/{id}";

/// A body over the 64 KiB a route reads.
fn oversized() -> Value {
    json!({"items": [{"sku": "DESK-120", "quantity": 1}], "notes": "n".repeat(65 * 1024)})
}

/// A new order's body of `lines` (`(sku, units)`).
fn lines(lines: &[(&str, i64)]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
        .collect();
    json!({"items": items})
}

/// An environment with an admin, a buyer, another user and an approver,
/// and SKUs `DESK-120` (10 units at 450.00) and `CABLE-1` (100 at 15.00).
async fn office() -> (TestEnv, Account, Account, Account, Account) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    let other = env.account("other", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    stock(&env, &admin, "DESK-120", 10, 45_000).await;
    stock(&env, &admin, "CABLE-1", 100, 1_500).await;
    (env, admin, buyer, other, approver)
}

/// Places an order of `lines` as `who`; its id.
async fn placed(env: &TestEnv, who: &Account, lines: &[(&str, i64)]) -> String {
    let reply = order(env, who, lines).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn place_answers_match_the_description() {
    let doc = description();
    let (env, admin, buyer, _, approver) = office().await;
    let post = |body: Value| Call::new("orders/create").body(body);
    let keyed = |key: &str, body: Value| post(body).header("idempotency-key", key);
    let two_desks = json!({
        "items": [{"sku": "desk-120", "quantity": 2}, {"sku": "CABLE-1", "quantity": 4}],
        "notes": "Second floor, room 214"
    });

    let created = env
        .call(keyed("order-1", two_desks.clone()).by(&buyer))
        .await;
    conforms(&doc, PLACE, &created, 201);
    let id = created.body["id"].as_str().unwrap();
    let location = format!("/api/v1/orders/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["status"], "pending");
    assert_eq!(created.body["user_id"], buyer.id.as_str());
    assert_eq!(created.body["items"][0]["sku"], "DESK-120");
    assert_eq!(created.body["total"], 96_000);
    let replayed = env
        .call(keyed("order-1", two_desks.clone()).by(&buyer))
        .await;
    conforms(&doc, PLACE, &replayed, 201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    let reused = keyed("order-1", lines(&[("CABLE-1", 1)]));
    conforms(&doc, PLACE, &env.call(reused.by(&buyer)).await, 422);
    let bad_key = env
        .call(keyed("two words", two_desks.clone()).by(&buyer))
        .await;
    conforms(&doc, PLACE, &bad_key, 400);
    assert_eq!(units(&env, &admin, "DESK-120").await, 8, "placed once");

    // Every role places orders: there is no 403.
    for who in [&admin, &approver] {
        let reply = env.call(post(lines(&[("CABLE-1", 1)])).by(who)).await;
        conforms(&doc, PLACE, &reply, 201);
        assert_eq!(reply.body["user_id"], who.id.as_str());
    }

    // Short of stock: 409 naming the SKUs short, and nothing is taken.
    let short = lines(&[("CABLE-1", 5), ("DESK-120", 9)]);
    let short = env.call(post(short).by(&buyer)).await;
    conforms(&doc, PLACE, &short, 409);
    let detail = short.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("DESK-120") && !detail.contains("CABLE-1"),
        "{detail}"
    );
    assert_eq!(units(&env, &admin, "CABLE-1").await, 94);

    let many: Vec<(String, i64)> = (0..26).map(|n| (format!("S-{n}"), 1)).collect();
    let many: Vec<(&str, i64)> = many.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    for (invalid, field) in [
        (json!({"items": []}), "items"),
        (lines(&many), "items"),
        (lines(&[("CABLE-1", 0)]), "items[0].quantity"),
        (lines(&[("CABLE-1", 10_001)]), "items[0].quantity"),
        (lines(&[("CABLE-1", 1), ("cable-1", 2)]), "items[1].sku"),
        (lines(&[("CABLE-1", 1), ("NOPE-9", 1)]), "items[1].sku"),
        (lines(&[("!", 1)]), "items[0].sku"),
        (
            json!({"items": [{"sku": "CABLE-1", "quantity": 1}], "notes": "n".repeat(1001)}),
            "notes",
        ),
        (
            json!({"items": [{"sku": "CABLE-1", "quantity": 1}], "notes": "a\u{1}"}),
            "notes",
        ),
        (json!({"items": [{"sku": "CABLE-1"}]}), "items[0].quantity"),
        (json!({}), "items"),
    ] {
        let reply = env.call(post(invalid.clone()).by(&buyer)).await;
        assert_eq!(reply.status, 422, "{invalid}: {}", reply.body);
        assert_conforms(&doc, PLACE, &reply);
        assert_eq!(reply.error_fields(), [field], "{invalid}");
    }
    for malformed in [
        // The price is the server's: a client's is an unknown field.
        json!({"items": [{"sku": "CABLE-1", "quantity": 1, "unit_price": 1}]}),
        json!({"items": [{"sku": "CABLE-1", "quantity": 1}], "total": 1}),
        json!({"items": [{"sku": "CABLE-1", "quantity": 1.5}]}),
        json!({"items": [{"sku": "CABLE-1", "quantity": "1"}]}),
        json!({"items": {"sku": "CABLE-1", "quantity": 1}}),
    ] {
        let reply = env.call(post(malformed.clone()).by(&buyer)).await;
        assert_eq!(reply.status, 400, "{malformed}: {}", reply.body);
        assert_conforms(&doc, PLACE, &reply);
    }
    let garbled = Call::new("orders/create").raw_body("{\"items\": ");
    conforms(&doc, PLACE, &env.call(garbled.by(&buyer)).await, 400);
    let listed = Call::new("orders/create").raw_body("[{\"sku\": \"CABLE-1\"}]");
    conforms(&doc, PLACE, &env.call(listed.by(&buyer)).await, 400);
    let text = post(lines(&[("CABLE-1", 1)])).header("content-type", "text/plain");
    conforms(&doc, PLACE, &env.call(text.by(&buyer)).await, 415);
    let large = env.call(post(oversized()).by(&buyer)).await;
    conforms(&doc, PLACE, &large, 413);

    assert_eq!(
        units(&env, &admin, "CABLE-1").await,
        94,
        "nothing refused took stock"
    );
    assert_eq!(units(&env, &admin, "DESK-120").await, 8);
}

#[tokio::test]
async fn list_answers_match_the_description() {
    let doc = description();
    let (env, admin, buyer, other, approver) = office().await;
    let first = placed(&env, &buyer, &[("CABLE-1", 1)]).await;
    let second = placed(&env, &buyer, &[("CABLE-1", 2)]).await;
    let others = placed(&env, &other, &[("DESK-120", 1)]).await;
    assert_eq!(
        move_to(&env, &admin, &first, "processing").await.status,
        200
    );
    let (first, second, others) = (first.as_str(), second.as_str(), others.as_str());
    let list = |query: &[(&str, &str)]| Call::new("orders/list").query(query);

    // Newest first: each user's own orders, an admin's every order.
    for (who, query, ids) in [
        (&buyer, vec![], vec![second, first]),
        (
            &buyer,
            vec![("user_id", buyer.id.as_str())],
            vec![second, first],
        ),
        (&buyer, vec![("status", "pending")], vec![second]),
        (&other, vec![], vec![others]),
        (&approver, vec![], vec![]),
        (&admin, vec![], vec![others, second, first]),
        (
            &admin,
            vec![("user_id", buyer.id.as_str())],
            vec![second, first],
        ),
        (&admin, vec![("status", "processing")], vec![first]),
        (
            &admin,
            vec![("status", "pending"), ("user_id", other.id.as_str())],
            vec![others],
        ),
    ] {
        let reply = env.call(list(&query).by(who)).await;
        conforms(&doc, LIST, &reply, 200);
        assert_eq!(page_column(&reply.body, "id"), ids, "{query:?}");
        assert_eq!(reply.body["next_cursor"], Value::Null);
    }

    let page = env.call(list(&[("limit", "1")]).by(&buyer)).await;
    conforms(&doc, LIST, &page, 200);
    assert_eq!(page_column(&page.body, "id"), [second]);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let next = list(&[("limit", "5"), ("cursor", &cursor)]);
    let next = env.call(next.by(&buyer)).await;
    conforms(&doc, LIST, &next, 200);
    assert_eq!(page_column(&next.body, "id"), [first]);

    // Another user's orders are an admin's to list, whatever else is asked.
    for who in [&buyer, &approver] {
        let theirs = list(&[("user_id", other.id.as_str())]);
        conforms(&doc, LIST, &env.call(theirs.by(who)).await, 403);
    }
    let theirs = list(&[("user_id", other.id.as_str()), ("limit", "0")]);
    conforms(&doc, LIST, &env.call(theirs.by(&buyer)).await, 403);

    for query in [
        [("status", "lost")],
        [("status", "PENDING")],
        [("user_id", "me")],
        [("limit", "0")],
        [("limit", "101")],
    ] {
        let bad = env.call(list(&query).by(&buyer)).await;
        conforms(&doc, LIST, &bad, 422);
    }
    for query in [
        [("owner", "me")],
        [("cursor", "forged")],
        [("limit", "all")],
    ] {
        let bad = env.call(list(&query).by(&buyer)).await;
        conforms(&doc, LIST, &bad, 400);
    }
    for twice in [
        list(&[("limit", "1"), ("limit", "2")]),
        list(&[("status", "pending"), ("status", "shipped")]),
    ] {
        conforms(&doc, LIST, &env.call(twice.by(&buyer)).await, 400);
    }
    // A cursor only pages the listing that issued it.
    let elsewhere = list(&[("status", "pending"), ("cursor", &cursor)]);
    conforms(&doc, LIST, &env.call(elsewhere.by(&buyer)).await, 400);
}

#[tokio::test]
async fn read_answers_match_the_description() {
    let doc = description();
    let (env, admin, buyer, other, approver) = office().await;
    let id = placed(&env, &buyer, &[("DESK-120", 1)]).await;
    move_to(&env, &admin, &id, "processing").await;

    for who in [&buyer, &admin] {
        let read = env.call(at("orders/get", &id).by(who)).await;
        conforms(&doc, GET, &read, 200);
        assert_eq!(read.header("etag"), Some("\"2\""));
        assert_eq!(read.body["status"], "processing");

        let timeline = env.call(at("orders/timeline", &id).by(who)).await;
        conforms(&doc, TIMELINE, &timeline, 200);
        assert_eq!(
            page_column(&timeline.body, "kind"),
            ["created", "status_changed"]
        );
        assert_eq!(timeline.body["next_cursor"], Value::Null);
    }
    // Another user's order is as good as missing, to anyone but an admin.
    for (who, missing) in [
        (&other, id.as_str()),
        (&approver, id.as_str()),
        (&buyer, NOWHERE),
        (&admin, NOWHERE),
        (&admin, MALFORMED),
    ] {
        let read = env.call(at("orders/get", missing).by(who)).await;
        conforms(&doc, GET, &read, 404);
        let timeline = env.call(at("orders/timeline", missing).by(who)).await;
        conforms(&doc, TIMELINE, &timeline, 404);
    }
}

#[tokio::test]
async fn change_answers_match_the_description() {
    let doc = description();
    let (env, admin, buyer, other, approver) = office().await;
    let id = placed(&env, &buyer, &[("DESK-120", 4)]).await;
    let patch = |id: &str, body: Value| at("orders/patch", id).body(body);
    let note = json!({"notes": "Leave at reception"});

    // The owner sets the notes, by `If-Match` or `version`.
    let noted = patch(&id, note.clone()).header("if-match", "\"1\"");
    let noted = env.call(noted.by(&buyer)).await;
    conforms(&doc, PATCH, &noted, 200);
    assert_eq!(noted.header("etag"), Some("\"2\""));
    assert_eq!(noted.body["notes"], "Leave at reception");
    let stale = patch(&id, note.clone()).header("if-match", "\"1\"");
    conforms(&doc, PATCH, &env.call(stale.by(&buyer)).await, 412);
    let garbled = patch(&id, note.clone()).header("if-match", "latest");
    conforms(&doc, PATCH, &env.call(garbled.by(&buyer)).await, 400);
    let behind = patch(&id, json!({"notes": "Behind", "version": 1}));
    conforms(&doc, PATCH, &env.call(behind.by(&buyer)).await, 409);
    // A status the order already has moves nothing.
    let same = env
        .call(patch(&id, json!({"status": "pending", "version": 2})).by(&buyer))
        .await;
    conforms(&doc, PATCH, &same, 200);
    assert_eq!(same.body["version"], 2);

    // A move the map does not allow is 409 naming the allowed ones, for
    // anyone; one it allows but only admins make is 403 for the owner.
    for who in [&buyer, &admin] {
        let illegal = move_to(&env, who, &id, "delivered").await;
        conforms(&doc, PATCH, &illegal, 409);
        let detail = illegal.body["detail"].as_str().unwrap();
        assert!(detail.contains("processing or cancelled"), "{detail}");
    }
    let refused = move_to(&env, &buyer, &id, "processing").await;
    conforms(&doc, PATCH, &refused, 403);
    // The owner cancels their pending order (the stock comes back) but
    // may not re-open it.
    let cancelled = move_to(&env, &buyer, &id, "cancelled").await;
    conforms(&doc, PATCH, &cancelled, 200);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(units(&env, &admin, "DESK-120").await, 10);
    conforms(
        &doc,
        PATCH,
        &move_to(&env, &buyer, &id, "pending").await,
        403,
    );
    // Its units sold meanwhile: re-opening is 409 naming the SKU.
    placed(&env, &other, &[("DESK-120", 8)]).await;
    let reopen = move_to(&env, &admin, &id, "pending").await;
    conforms(&doc, PATCH, &reopen, 409);
    assert!(reopen.body["detail"].as_str().unwrap().contains("DESK-120"));
    assert_eq!(units(&env, &admin, "DESK-120").await, 2);
    let id = placed(&env, &buyer, &[("CABLE-1", 1)]).await;
    let moved = move_to(&env, &admin, &id, "processing").await;
    conforms(&doc, PATCH, &moved, 200);
    assert_eq!(moved.header("etag"), Some("\"2\""));
    // The owner sets the notes in any status, but cancels no longer.
    conforms(
        &doc,
        PATCH,
        &env.call(patch(&id, note.clone()).by(&buyer)).await,
        200,
    );
    conforms(
        &doc,
        PATCH,
        &move_to(&env, &buyer, &id, "cancelled").await,
        403,
    );

    for invalid in [
        json!({}),
        json!({"version": 3}),
        json!({"status": null, "notes": null}),
        json!({"status": "lost"}),
        json!({"status": "Shipped"}),
        json!({"notes": "n".repeat(1001)}),
        json!({"notes": "a\u{1}"}),
    ] {
        let reply = env.call(patch(&id, invalid.clone()).by(&admin)).await;
        assert_eq!(reply.status, 422, "{invalid}: {}", reply.body);
        assert_conforms(&doc, PATCH, &reply);
    }
    for malformed in [
        json!({"status": "shipped", "total": 0}),
        json!({"status": 3}),
        json!({"notes": ["a"]}),
        json!({"version": -1}),
    ] {
        let reply = env.call(patch(&id, malformed.clone()).by(&admin)).await;
        assert_eq!(reply.status, 400, "{malformed}: {}", reply.body);
        assert_conforms(&doc, PATCH, &reply);
    }
    let garbage = at("orders/patch", &id).raw_body("{\"status\": ");
    conforms(&doc, PATCH, &env.call(garbage.by(&admin)).await, 400);
    let text = patch(&id, note.clone()).header("content-type", "text/plain");
    conforms(&doc, PATCH, &env.call(text.by(&admin)).await, 415);
    let large = env.call(patch(&id, oversized()).by(&admin)).await;
    conforms(&doc, PATCH, &large, 413);

    // 404 before anything else: another's order, a missing one, garbage.
    for who in [&other, &approver] {
        let hidden = env
            .call(patch(&id, json!({"status": "cancelled"})).by(who))
            .await;
        conforms(&doc, PATCH, &hidden, 404);
        let garbage = at("orders/patch", &id).raw_body("{");
        conforms(&doc, PATCH, &env.call(garbage.by(who)).await, 404);
    }
    for missing in [NOWHERE, MALFORMED] {
        let reply = env.call(patch(missing, note.clone()).by(&admin)).await;
        conforms(&doc, PATCH, &reply, 404);
    }
    let read = env.call(at("orders/get", &id).by(&admin)).await;
    assert_eq!(read.body["version"], 3, "nothing refused was written");
    assert_eq!(read.body["status"], "processing");
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
    let doc = description();
    let schemas = &doc["components"]["schemas"];
    let asked = &schemas["NewOrderLine"]["properties"]["sku"];
    let shown = &schemas["OrderLineView"]["properties"]["sku"];
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
        assert!(fits(asked, code), "{code}");
        assert!(fits(shown, sku.as_str()), "{code} is shown as {sku}");
    }
    assert!(!fits(shown, "desk-120"), "a code is shown in upper case");
    for code in bad {
        assert!(Sku::parse(code).is_err(), "{code}");
        assert!(!fits(asked, code) && !fits(shown, code), "{code}");
    }
}

#[test]
fn every_schema_the_description_names_is_in_it() {
    let doc = description();
    let found = resolved_references(&doc);
    for name in [
        "/OrderView",
        "/OrderStatus",
        "/NewOrderLine",
        "/OrderTimelineActor",
    ] {
        assert!(found.iter().any(|r| r.ends_with(name)), "{name}");
    }
}

#[test]
fn the_named_values_are_the_domains() {
    let doc = description();
    let statuses = OrderStatus::ALL.map(OrderStatus::as_str);
    assert_eq!(
        doc["components"]["schemas"]["OrderStatus"]["enum"],
        json!(statuses)
    );
}

#[tokio::test]
async fn deleting_an_order_answers_as_documented() {
    let (env, admin, buyer, other, _) = office().await;
    let doc = description();
    let placed = order(&env, &buyer, &[("CABLE-1", 1)]).await;
    let id = placed.body["id"].as_str().unwrap().to_owned();
    let delete = |who: &Account| at("orders/delete", &id).by(who);
    conforms(&doc, DELETE, &env.call(delete(&admin)).await, 409);
    assert_eq!(move_to(&env, &admin, &id, "cancelled").await.status, 200);
    conforms(&doc, DELETE, &env.call(delete(&buyer)).await, 403);
    conforms(&doc, DELETE, &env.call(delete(&other)).await, 404);
    let stale = delete(&admin).header("if-match", "\"1\"");
    conforms(&doc, DELETE, &env.call(stale).await, 412);
    let malformed = delete(&admin).header("if-match", "soon");
    conforms(&doc, DELETE, &env.call(malformed).await, 400);
    conforms(&doc, DELETE, &env.call(delete(&admin)).await, 204);
    let params = at("orders/timeline", NOWHERE)
        .by(&admin)
        .query(&[("limit", "5")]);
    conforms(&doc, TIMELINE, &env.call(params).await, 400);
}
