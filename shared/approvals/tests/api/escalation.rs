//! Escalation on DynamoDB Local: a step left open past its deadline is
//! escalated by the sweep exactly once, however many sweeps overlap; its
//! escalation approvers find and decide it; an approver escalates by hand;
//! deadlines follow their step and go with a final approval.

use crate::calls::{approval, decide};
use crate::helpers::{page_column, Account, Call, TestEnv};
use opsflow_approvals::service::escalations::sweep;
use opsflow_platform::clock;
use opsflow_platform::domain::Role;
use opsflow_platform::registry::SweepReport;
use serde_json::{json, Value};
use time::Duration;

/// An active workflow of `steps` (as a client writes them).
async fn workflow(env: &TestEnv, admin: &Account, steps: Value) -> String {
    let id = env
        .create(
            Call::new("workflows/create")
                .by(admin)
                .body(json!({"name": "Escalating", "steps": steps})),
        )
        .await;
    env.activate_workflow(admin, &id).await;
    id
}

/// The ids `who` finds under `assigned=me` (of `status`, if given).
async fn assigned(env: &TestEnv, who: &Account, status: Option<&str>) -> Vec<String> {
    let mut query = vec![("assigned", "me")];
    query.extend(status.map(|s| ("status", s)));
    let reply = env
        .call(Call::new("approvals/list").by(who).query(&query))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    page_column(&reply.body, "id")
}

async fn sweep_at(env: &TestEnv, hours: i64) -> SweepReport {
    let at = clock::now() + Duration::hours(hours);
    sweep(&env.users.store, at, "sweep-test").await.unwrap()
}

#[tokio::test]
async fn a_step_escalates_once_at_its_deadline_however_many_sweeps_overlap() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let boss = env.account("boss", Role::User).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = workflow(
        &env,
        &admin,
        json!([
            {"name": "Lead", "approver_role": "approver", "required_approvals": 1,
             "escalate_after": "PT4H", "escalate_to_ids": [boss.id]},
            {"name": "Finance", "approver_role": "admin", "required_approvals": 1},
        ]),
    )
    .await;
    let id = env.file_approval(&requester, &workflow, "A server").await;
    let filed = approval(&env, &requester, &id).await;
    assert_eq!(filed["steps"][0]["escalate_after"], "4h");
    assert!(filed["escalation_due_at"].is_string(), "{filed}");
    assert!(assigned(&env, &boss, None).await.is_empty());

    // Before the deadline, nothing is due.
    assert_eq!(sweep_at(&env, 3).await, SweepReport::default());
    // Past it, six sweeps at once escalate the step once.
    let store = &env.users.store;
    let at = clock::now() + Duration::hours(5);
    let sweeps = (0..6).map(|_| sweep(store, at, "sweep-test"));
    let reports = futures::future::try_join_all(sweeps).await.unwrap();
    let done: usize = reports.iter().map(|r| r.done).sum();
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    assert_eq!((done, failed), (1, 0), "{reports:?}");
    let escalated = env.events_of_type("approval.escalated").await;
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0]["actor"]["id"], "system");
    assert_eq!(
        escalated[0]["changes"]["status"],
        json!(["PENDING", "ESCALATED"])
    );
    assert_eq!(escalated[0]["changes"]["escalation"][1]["by"], Value::Null);
    assert_eq!(escalated[0]["correlation_id"], "sweep-test");

    let shown = approval(&env, &requester, &id).await;
    assert_eq!(shown["status"], "ESCALATED");
    assert!(shown.get("escalation_due_at").is_none(), "{shown}");
    assert_eq!(shown["steps"][0]["escalated"]["by"], Value::Null);
    // The escalation approver and the step's own find it, as ESCALATED.
    for who in [&boss, &approver] {
        assert_eq!(
            assigned(&env, who, Some("ESCALATED")).await,
            vec![id.clone()]
        );
        assert!(assigned(&env, who, Some("PENDING")).await.is_empty());
    }
    let admins = Call::new("approvals/list")
        .by(&admin)
        .query(&[("status", "ESCALATED")]);
    assert_eq!(
        page_column(&env.call(admins).await.body, "id"),
        vec![id.clone()]
    );
    // Later sweeps find nothing.
    assert_eq!(sweep_at(&env, 9).await, SweepReport::default());

    // The escalation approver decides the step: the next opens, PENDING.
    let reply = decide(&env, &boss, &id, json!({"status": "APPROVED"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "PENDING");
    assert_eq!(reply.body["current_step"], 1);
    assert!(assigned(&env, &boss, None).await.is_empty());
    assert_eq!(
        assigned(&env, &admin, Some("PENDING")).await,
        vec![id.clone()]
    );
    let reply = decide(&env, &admin, &id, json!({"status": "APPROVED"})).await;
    assert_eq!(reply.body["status"], "APPROVED", "{}", reply.body);
}

#[tokio::test]
async fn an_approver_escalates_by_hand_with_a_reason() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::Approver).await;
    let stranger = env.account("stranger", Role::User).await;
    let auditor = env.account("auditor", Role::Auditor).await;
    let escalating = workflow(
        &env,
        &admin,
        json!([{"approver_role": "approver", "required_approvals": 1,
                "escalate_after": "2d", "escalate_to_role": "admin"}]),
    )
    .await;
    let plain = env.active_workflow(&admin, "Plain").await;
    let id = env.file_approval(&requester, &escalating, "Travel").await;
    let escalate = json!({"status": "ESCALATED", "reason": "Above my limit"});

    for (who, status) in [(&requester, 403), (&stranger, 404), (&auditor, 403)] {
        let refused = decide(&env, who, &id, escalate.clone()).await;
        assert_eq!(refused.status, status, "{}", refused.body);
    }
    let bad = decide(&env, &approver, &id, json!({"status": "ESCALATE"})).await;
    bad.assert_problem(422, "status");
    assert!(bad.body.to_string().contains("ESCALATED"), "{}", bad.body);
    let long = json!({"status": "ESCALATED", "reason": "r".repeat(1001)});
    decide(&env, &approver, &id, long)
        .await
        .assert_problem(422, "reason");

    let reply = decide(&env, &approver, &id, escalate.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "ESCALATED");
    let escalated = &reply.body["steps"][0]["escalated"];
    assert_eq!(escalated["by"], approver.id.as_str());
    assert_eq!(escalated["reason"], "Above my limit");
    let events = env.events_of_type("approval.escalated").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor"]["id"], approver.id.as_str());
    assert_eq!(
        events[0]["changes"]["escalation"][1]["reason"],
        "Above my limit"
    );
    // Once is enough; and its deadline went with it.
    let again = decide(&env, &approver, &id, escalate.clone()).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(sweep_at(&env, 72).await, SweepReport::default());
    assert_eq!(
        assigned(&env, &admin, Some("ESCALATED")).await,
        vec![id.clone()]
    );

    // A step with nobody to escalate to, and a final approval: 409.
    let other = env.file_approval(&requester, &plain, "Chair").await;
    let refused = decide(&env, &approver, &other, escalate.clone()).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.to_string().contains("escalate_to"),
        "{}",
        refused.body
    );
    let decided = decide(&env, &admin, &id, json!({"status": "REJECTED"})).await;
    assert_eq!(decided.body["status"], "REJECTED", "{}", decided.body);
    assert_eq!(decide(&env, &approver, &id, escalate).await.status, 409);
}

#[tokio::test]
async fn deadlines_follow_their_step_and_end_with_the_approval() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = workflow(
        &env,
        &admin,
        json!([
            {"approver_role": "approver", "required_approvals": 1,
             "escalate_after": "1h", "escalate_to_role": "admin"},
            {"approver_role": "admin", "required_approvals": 1,
             "escalate_after": "3h", "escalate_to_ids": [approver.id]},
        ]),
    )
    .await;
    let moved = env.file_approval(&requester, &workflow, "Moved on").await;
    let withdrawn = env.file_approval(&requester, &workflow, "Withdrawn").await;
    let reply = decide(&env, &approver, &moved, json!({"status": "APPROVED"})).await;
    assert_eq!(reply.body["current_step"], 1, "{}", reply.body);
    let reply = decide(&env, &requester, &withdrawn, json!({"status": "CANCELLED"})).await;
    assert_eq!(reply.body["status"], "CANCELLED", "{}", reply.body);

    // The first step's deadline went with it; the second's is 3 h away.
    assert_eq!(sweep_at(&env, 2).await, SweepReport::default());
    let report = sweep_at(&env, 4).await;
    assert_eq!((report.done, report.failed), (1, 0));
    let shown = approval(&env, &requester, &moved).await;
    assert_eq!(shown["status"], "ESCALATED");
    assert_eq!(shown["current_step"], 1);
    assert_eq!(
        approval(&env, &requester, &withdrawn).await["status"],
        "CANCELLED"
    );
    // Whoever approved step 0 may not decide step 1; an admin ends it.
    let reply = decide(&env, &approver, &moved, json!({"status": "APPROVED"})).await;
    assert_eq!(reply.status, 403, "approved step 0: {}", reply.body);
    let reply = decide(&env, &admin, &moved, json!({"status": "APPROVED"})).await;
    assert_eq!(reply.body["status"], "APPROVED", "{}", reply.body);
    assert_eq!(sweep_at(&env, 100).await, SweepReport::default());
}

#[tokio::test]
async fn who_approved_the_step_before_it_escalated_no_longer_finds_it() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let other_admin = env.account("other-admin", Role::Admin).await;
    let (lead_a, lead_b) = (
        env.account("lead-a", Role::User).await,
        env.account("lead-b", Role::User).await,
    );
    let requester = env.account("requester", Role::User).await;
    let workflow = workflow(
        &env,
        &admin,
        json!([{"approver_ids": [lead_a.id, admin.id, lead_b.id], "required_approvals": 3,
                "escalate_after": "1h", "escalate_to_role": "admin"}]),
    )
    .await;
    let id = env.file_approval(&requester, &workflow, "Fleet").await;
    for who in [&lead_a, &admin] {
        let reply = decide(&env, who, &id, json!({"status": "APPROVED"})).await;
        assert_eq!(reply.body["status"], "PENDING", "{}", reply.body);
    }
    let report = sweep_at(&env, 2).await;
    assert_eq!((report.done, report.failed), (1, 0));

    // Those who approved already find nothing left to decide (and their
    // listings still answer); the others find it escalated.
    for who in [&lead_a, &admin] {
        assert!(assigned(&env, who, None).await.is_empty());
    }
    for who in [&lead_b, &other_admin] {
        assert_eq!(
            assigned(&env, who, Some("ESCALATED")).await,
            vec![id.clone()]
        );
    }
    let reply = decide(&env, &other_admin, &id, json!({"status": "APPROVED"})).await;
    assert_eq!(reply.body["status"], "APPROVED", "{}", reply.body);
    assert!(assigned(&env, &lead_b, None).await.is_empty());
}

#[tokio::test]
async fn bad_escalation_settings_are_refused_naming_the_field() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    for (fields, named) in [
        (
            json!({"escalate_after": "soon", "escalate_to_role": "admin"}),
            "steps[0].escalate_after",
        ),
        (json!({"escalate_after": "4h"}), "steps[0].escalate_after"),
        (
            json!({"escalate_to_role": "auditor"}),
            "steps[0].escalate_to_role",
        ),
        (
            json!({"escalate_to_ids": ["nobody"]}),
            "steps[0].escalate_to_ids",
        ),
        (
            json!({"escalate_after": 60, "escalate_to_role": "admin"}),
            "escalate_after",
        ),
    ] {
        let mut step = json!({"approver_role": "approver", "required_approvals": 1});
        for (key, value) in fields.as_object().unwrap() {
            step[key] = value.clone();
        }
        let reply = env
            .call(
                Call::new("workflows/create")
                    .by(&admin)
                    .body(json!({"name": "Bad", "steps": [step]})),
            )
            .await;
        assert!(matches!(reply.status, 400 | 422), "{}", reply.body);
        assert!(
            reply.body.to_string().contains(named),
            "{named}: {}",
            reply.body
        );
    }
}

#[cfg(feature = "openapi")]
#[tokio::test]
async fn escalation_answers_match_the_description() {
    use opsflow_platform::testkit::contract::{assert_conforms, document};
    let doc = document(opsflow_approvals::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let created = env
        .call(Call::new("workflows/create").by(&admin).body(json!({
            "name": "Escalating",
            "steps": [{"approver_role": "approver", "required_approvals": 1,
                       "escalate_after": "90m", "escalate_to_ids": [admin.id]}],
        })))
        .await;
    assert_conforms(&doc, "POST /api/v1/workflows", &created);
    assert_eq!(created.body["steps"][0]["escalate_after"], "90m");
    let workflow = created.body["id"].as_str().unwrap().to_owned();
    env.activate_workflow(&admin, &workflow).await;
    let id = env.file_approval(&requester, &workflow, "Wire").await;
    let read = Call::new("approvals/get").resource_id("approvals", &id);
    let filed = env.call(read.clone().by(&requester)).await;
    assert!(
        filed.body["escalation_due_at"].is_string(),
        "{}",
        filed.body
    );
    assert_conforms(&doc, "GET /api/v1/approvals/{id}", &filed);
    let escalated = decide(&env, &approver, &id, json!({"status": "ESCALATED"})).await;
    assert_eq!(escalated.status, 200, "{}", escalated.body);
    assert_conforms(&doc, "PATCH /api/v1/approvals/{id}", &escalated);
    let again = decide(&env, &approver, &id, json!({"status": "ESCALATED"})).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_conforms(&doc, "PATCH /api/v1/approvals/{id}", &again);
    let listed = env
        .call(
            Call::new("approvals/list")
                .by(&admin)
                .query(&[("assigned", "me"), ("status", "ESCALATED")]),
        )
        .await;
    assert_conforms(&doc, "GET /api/v1/approvals", &listed);
    assert_eq!(page_column(&listed.body, "id"), vec![id]);
}
