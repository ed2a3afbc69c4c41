//! Listings: every combination of status, search, ordering and direction,
//! paged to its end, is exactly the expected items in the expected order,
//! and a search matches any case.

use crate::helpers::{Account, Call, TestEnv};
use crate::{at, create};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Every item of a listing, following its cursor page by page.
async fn listed(env: &TestEnv, who: &Account, query: &[(&str, &str)]) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut pairs: Vec<(&str, &str)> = query.to_vec();
        pairs.push(("limit", "2"));
        if let Some(cursor) = &cursor {
            pairs.push(("cursor", cursor));
        }
        let page = env
            .call(Call::new("items/list").by(who).query(&pairs))
            .await;
        assert_eq!(page.status, 200, "{query:?}: {}", page.body);
        all.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
    panic!("{query:?} never ended");
}

fn millis(item: &Value, field: &str) -> i128 {
    let at = OffsetDateTime::parse(item[field].as_str().unwrap(), &Rfc3339).unwrap();
    at.unix_timestamp_nanos() / 1_000_000
}

/// The order a listing promises: by the field (names in lower case, times
/// to the millisecond), then by id.
fn sort_key(item: &Value, sort_by: &str) -> (String, String) {
    let id = item["id"].as_str().unwrap().to_owned();
    let key = match sort_by {
        "name" => item["name"].as_str().unwrap().to_lowercase(),
        field => format!("{:015}", millis(item, field)),
    };
    (key, id)
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_filter_and_ordering_paged_to_the_end_is_the_expected_items_in_order() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let reader = env.account("reader", Role::Approver).await;
    let names = [
        ("Laptop stand", "active"),
        ("laptop", "active"),
        ("Zebra printer", "inactive"),
        ("apple keyboard", "archived"),
        ("Ab", "active"),
        ("ab c", "inactive"),
        ("Planet", "active"),
        ("Écran", "archived"),
        ("Banana", "active"),
        ("PLANTER", "inactive"),
    ];
    let mut items = Vec::new();
    for (name, status) in names {
        items.push(create(&env, &owner, json!({"name": name, "status": status})).await);
    }
    // Later changes move some items in the `updated_at` order and between
    // statuses.
    for (index, change) in [
        (0, json!({"status": "archived"})),
        (6, json!({"name": "Planetarium"})),
    ] {
        let id = items[index]["id"].as_str().unwrap().to_owned();
        let reply = env
            .call(at("items/patch", &id).by(&owner).body(change))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        items[index] = reply.body;
    }

    for status in [None, Some("active"), Some("inactive"), Some("archived")] {
        for search in [None, Some("AN")] {
            for sort_by in ["name", "created_at", "updated_at"] {
                for order in ["asc", "desc"] {
                    let mut expected: Vec<Value> = items
                        .iter()
                        .filter(|i| status.is_none_or(|s| i["status"] == s))
                        .filter(|i| {
                            search.is_none_or(|s| {
                                let name = i["name"].as_str().unwrap().to_lowercase();
                                name.contains(&s.to_lowercase())
                            })
                        })
                        .cloned()
                        .collect();
                    expected.sort_by_key(|i| sort_key(i, sort_by));
                    if order == "desc" {
                        expected.reverse();
                    }
                    let mut query = vec![("sort_by", sort_by), ("sort_order", order)];
                    query.extend(status.map(|s| ("status", s)));
                    query.extend(search.map(|s| ("search", s)));
                    let got = listed(&env, &reader, &query).await;
                    assert_eq!(ids(&got), ids(&expected), "{query:?}");
                    assert_eq!(got, expected, "{query:?}: the items as they are now");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_search_matches_a_piece_of_the_name_in_any_case() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    for name in ["Laptop stand", "my LAPTOP", "Desk", "Lap"] {
        create(&env, &owner, json!({ "name": name })).await;
    }
    for search in ["laptop", "LAPTOP", "lApToP", "aptop"] {
        let found = listed(
            &env,
            &owner,
            &[
                ("search", search),
                ("sort_by", "name"),
                ("sort_order", "asc"),
            ],
        )
        .await;
        let names: Vec<&str> = found.iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Laptop stand", "my LAPTOP"], "{search}");
    }
    let none = listed(&env, &owner, &[("search", "monitor")]).await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn the_default_listing_is_every_item_newest_first() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let mut made = Vec::new();
    for name in ["First", "Second", "Third"] {
        made.push(create(&env, &owner, json!({ "name": name })).await);
    }
    let page = env
        .call(Call::new("items/list").by(&owner).query(&[]))
        .await;
    assert_eq!(page.status, 200);
    made.reverse();
    assert_eq!(page.body["items"], Value::Array(made));
    assert_eq!(page.body["next_cursor"], Value::Null);
}
