//! Run records: their sort keys, and JSON fields stored as text.

use super::*;
use crate::store::entity_item;

#[test]
fn runs_sort_by_their_start_and_keep_json_as_text() {
    let subject = |at| RunSubject {
        event_id: EntityId::new(),
        event_type: "approval.created".into(),
        rule_id: EntityId::new(),
        rule_name: "small".into(),
        depth: 0,
        correlation_id: "c".into(),
        started_at: at,
    };
    let end = RunEnd {
        status: RunStatus::NotMatched,
        reason: None,
        evaluation: Some(serde_json::json!({"matched": false, "trace": {}})),
        actions: vec![ActionOutcome {
            index: 0,
            kind: "log".into(),
            status: ActionStatus::NotRun,
            detail: None,
            error: None,
        }],
        attempts: 1,
        finished_at: time::macros::datetime!(2026-01-01 00:00:01 UTC),
    };
    let early = RunRecord::new(
        subject(time::macros::datetime!(2026-01-01 00:00:00.5 UTC)),
        end.clone(),
    )
    .unwrap();
    let late = RunRecord::new(
        subject(time::macros::datetime!(2026-01-01 00:00:00.25 UTC)),
        end,
    )
    .unwrap();
    let sort = |run: &RunRecord| run.keys().index(1).expect("in gsi1").1.to_owned();
    assert!(sort(&early).starts_with("RUN#2026-01-01T00:00:00.500000Z#"));
    assert!(sort(&late) < sort(&early));
    assert_eq!(
        early.keys().index(2).map(|(_, sk)| sk),
        Some(sort(&early).as_str())
    );
    assert_eq!(early.duration_ms, 500);
    let item = entity_item(&early).unwrap();
    assert_eq!(item["gsi1sk"].as_s().unwrap(), &sort(&early));
    assert!(item["evaluation"].as_s().is_ok());
    assert!(item["actions"].as_s().is_ok());
    assert_eq!(early.evaluation().unwrap()["trace"], serde_json::json!({}));
    assert_eq!(early.actions()[0].status, ActionStatus::NotRun);
}
