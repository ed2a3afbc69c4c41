//! Audit queries: filters become the right partitions and bounds, and the walk's pages.

use super::*;
use crate::store::s;
use time::macros::datetime;

fn filter(
    entity: Option<(&str, Option<&str>)>,
    user_id: Option<&str>,
    action: Option<&str>,
) -> AuditFilter {
    AuditFilter {
        entity: entity.map(|(kind, id)| {
            (
                EntityKind::parse(kind).unwrap(),
                id.map(|id| AuditId::parse(id).unwrap()),
            )
        }),
        user_id: user_id.map(|u| AuditId::parse(u).unwrap()),
        action: action.map(|a| ActionName::parse(a).unwrap()),
    }
}

#[test]
fn the_most_selective_key_serves_and_the_rest_filters() {
    let cases = [
        (
            filter(Some(("workflow", Some("w-1"))), Some("u-1"), Some("a.b")),
            Target::Partition(TABLE, "ENTITY#workflow#w-1".into()),
            vec![("user_id", "u-1"), ("action", "a.b")],
        ),
        (
            filter(Some(("workflow", None)), Some("u-1"), Some("a.b")),
            Target::Partition(BY_ACTOR, "ACTOR#u-1".into()),
            vec![("action", "a.b"), ("entity", "workflow")],
        ),
        (
            filter(Some(("workflow", None)), None, Some("a.b")),
            Target::Partition(BY_ACTION, "ACTION#a.b".into()),
            vec![("entity", "workflow")],
        ),
        (
            filter(Some(("workflow", None)), None, None),
            Target::Partition(BY_KIND, "ENTITY#workflow".into()),
            vec![],
        ),
        (filter(None, None, None), Target::Days, vec![]),
    ];
    for (filter, target, rest) in cases {
        let (actual, filters) = filter.target();
        assert_eq!(actual, target, "{filter:?}");
        let filters: Vec<(&str, &str)> = filters.iter().map(|(a, v)| (*a, v.as_str())).collect();
        assert_eq!(filters, rest, "{filter:?}");
    }
}

#[test]
fn the_indexes_are_the_schema_s() {
    assert_eq!(
        [BY_ACTOR, BY_ACTION, BY_KIND, BY_DAY].map(|s| s.index),
        [Some("gsi1"), Some("gsi2"), Some("gsi3"), Some("gsi4")]
    );
    assert_eq!(BY_DAY.partition, "gsi4pk");
    assert_eq!(BY_DAY.sort, "gsi4sk");
}

#[test]
fn bounds_include_every_record_of_their_millisecond_and_no_other() {
    let at = datetime!(2026-11-22 09:15:02.041 UTC);
    let key = |t: OffsetDateTime| {
        format!(
            "{}#0193b2a4-0000-7000-8000-0000000000ad",
            clock::sortable(t)
        )
    };
    assert!(lower_bound(at) <= key(at) && key(at) <= upper_bound(at));
    let earlier = at - Duration::milliseconds(1);
    let later = at + Duration::milliseconds(1);
    assert!(key(earlier) < lower_bound(at));
    assert!(key(later) > upper_bound(at));
    // A `from` inside a millisecond starts at the next one.
    let inside = at + Duration::microseconds(500);
    assert!(key(at) < lower_bound(inside));
    assert!(key(later) >= lower_bound(inside));
}

#[test]
fn the_day_walk_defaults_to_thirty_days_before_now() {
    let now = datetime!(2026-11-22 09:15:02 UTC);
    let walk = Walk::begin(&AuditQuery::default(), None, now)
        .unwrap()
        .unwrap();
    assert_eq!(walk.partition, "DAY#2026-11-22");
    assert_eq!(
        walk.days,
        Some((
            time::macros::date!(2026 - 11 - 22),
            time::macros::date!(2026 - 10 - 23)
        ))
    );
    assert!(walk.start.is_none());
}

#[test]
fn a_day_walk_resumes_in_its_window_from_either_kind_of_position() {
    let now = datetime!(2026-11-22 09:15:02 UTC);
    let query = AuditQuery::default();
    let mut walk = Walk::begin(&query, None, now).unwrap().unwrap();
    assert!(walk.previous_day());
    let fresh = walk.here();
    let later = now + Duration::days(3);
    let resumed = Walk::begin(&query, Some(fresh), later).unwrap().unwrap();
    assert_eq!(resumed, walk, "the window stays the first page's");

    let item: Item = [
        ("pk", "ENTITY#user#u-1"),
        ("sk", "2026-11-20T08:00:00.000Z#e-1"),
        ("gsi4pk", "DAY#2026-11-20"),
        ("gsi4sk", "2026-11-20T08:00:00.000Z#e-1"),
        ("action", "user.updated"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), s(v)))
    .collect();
    let after = walk.after(&item);
    assert!(!after.contains_key("action"));
    let resumed = Walk::begin(&query, Some(after), later).unwrap().unwrap();
    assert_eq!(resumed.partition, "DAY#2026-11-20");
    assert_eq!(
        resumed.start.as_ref().map(|k| k.len()),
        Some(4),
        "the key alone"
    );
}

#[test]
fn an_empty_window_reads_nothing() {
    let now = datetime!(2026-11-22 09:15:02 UTC);
    let future = AuditQuery {
        from: Some(now + Duration::days(1)),
        ..AuditQuery::default()
    };
    assert_eq!(Walk::begin(&future, None, now).unwrap(), None);
    let reversed = AuditQuery {
        filter: filter(None, Some("u-1"), None),
        from: Some(now),
        to: Some(now - Duration::seconds(1)),
    };
    assert_eq!(Walk::begin(&reversed, None, now).unwrap(), None);
}

#[test]
fn scopes_tell_filters_apart_even_when_values_look_alike() {
    let a = AuditQuery {
        filter: filter(Some(("user", Some("x\",\"user_id\":\"y"))), None, None),
        ..AuditQuery::default()
    };
    let b = AuditQuery {
        filter: filter(Some(("user", Some("x"))), Some("y"), None),
        ..AuditQuery::default()
    };
    assert_ne!(a.scope(), b.scope());
    let bounded = AuditQuery {
        to: Some(datetime!(2026-11-22 09:15:02 UTC)),
        ..b.clone()
    };
    assert_ne!(b.scope(), bounded.scope());
}
