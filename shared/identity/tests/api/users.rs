//! User administration: listing, reading, updating with optimistic
//! locking, deactivation, and the events each change writes.

use crate::helpers::{login_request, me_request, patch_user, Call, PASSWORD};
use opsflow_identity::store::UserStore;
use opsflow_platform::domain::Role;
use serde_json::json;

#[tokio::test]
async fn admins_page_through_users_newest_first_and_filter_by_role() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let mut approvers = Vec::new();
    for i in 0..3 {
        approvers.push(
            env.account(&format!("approver{i}"), Role::Approver)
                .await
                .id,
        );
        env.register(&format!("plain{i}")).await;
    }
    let list = |query: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.call(Call::new("users/list").by(&admin).query(&pairs))
    };

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("role", "approver".to_owned()), ("limit", "2".to_owned())];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.clone()));
        }
        let page = list(query).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            assert_eq!(item["role"], "approver");
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    approvers.reverse();
    assert_eq!(seen, approvers, "newest first, each exactly once");

    let everyone = list(vec![("limit", "100".to_owned())]).await;
    assert_eq!(everyone.body["items"].as_array().unwrap().len(), 7);
    assert!(everyone.body["next_cursor"].is_null());

    // A cursor from the approver listing does not work for another role.
    let first = list(vec![
        ("role", "approver".to_owned()),
        ("limit", "1".to_owned()),
    ])
    .await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let crossed = list(vec![("role", "user".to_owned()), ("cursor", cursor)]).await;
    crossed.assert_problem(400, "cursor");
}

#[tokio::test]
async fn owners_rename_themselves_and_the_change_is_an_event() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let reply = env
        .call(patch_user(
            &owner,
            &owner.id,
            json!({"name": "  New Name "}),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["name"], "New Name");
    assert_eq!(reply.body["version"], 2);
    assert_eq!(reply.header("etag"), Some("\"2\""));

    let events = env.events().await;
    let updated = events.iter().find(|e| e["type"] == "user.updated").unwrap();
    assert_eq!(updated["changes"]["name"], json!(["owner", "New Name"]));
    assert_eq!(updated["actor"]["id"], json!(owner.id));
    assert_eq!(updated["data"]["version"], 2);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_a_stale_body_version_is_409() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let patch = |body: serde_json::Value| patch_user(&owner, &owner.id, body);
    assert_eq!(
        env.call(patch(json!({"name": "One"})).header("if-match", "\"1\""))
            .await
            .status,
        200
    );
    let stale_header = env
        .call(patch(json!({"name": "Two"})).header("if-match", "\"1\""))
        .await;
    assert_eq!(stale_header.status, 412);
    let stale_body = env.call(patch(json!({"name": "Two", "version": 1}))).await;
    assert_eq!(stale_body.status, 409);
    let current = env.call(patch(json!({"name": "Two", "version": 2}))).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.body["name"], "Two");
}

#[tokio::test]
async fn concurrent_patches_of_one_version_commit_once() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let attempt = |i: usize| {
        env.call(
            Call::new("users/patch")
                .by(&owner)
                .id(&owner.id)
                .header("if-match", "1")
                .body(json!({"name": format!("Name {i}")})),
        )
    };
    let replies = futures::future::join_all((0..8).map(attempt)).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| [200, 409, 412].contains(&r.status)));
    let me = env
        .call(Call::new("users/get").by(&owner).id(&owner.id))
        .await;
    assert_eq!(me.body["version"], 2);
}

#[tokio::test]
async fn password_changes_need_the_current_password_and_take_effect() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let reply = env
        .call(patch_user(
            &owner,
            &owner.id,
            json!({"password": "a brand new secret", "current_password": PASSWORD}),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let old = env.call(login_request(&owner.email, PASSWORD)).await;
    assert_eq!(old.status, 401);
    let new = env
        .call(login_request(&owner.email, "a brand new secret"))
        .await;
    assert_eq!(new.status, 200);
    let event = env
        .events()
        .await
        .into_iter()
        .find(|e| e["type"] == "user.updated")
        .unwrap();
    assert!(!event.to_string().contains("a brand new secret"));
}

#[tokio::test]
async fn role_changes_and_deactivation_are_recorded_as_events() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let target = env.account("target", Role::User).await;
    let promote = env
        .call(patch_user(&admin, &target.id, json!({"role": "approver"})))
        .await;
    assert_eq!(promote.status, 200);
    assert_eq!(promote.body["role"], "approver");
    // The old token carried the old role: it no longer works.
    let stale = env.call(me_request(&target.tokens.access)).await;
    assert_eq!(stale.status, 401);
    let fresh = env.login(&target.email).await;
    let me = env.call(me_request(&fresh.access)).await;
    assert_eq!(me.body["role"], "approver");
    let delete = env
        .call(Call::new("users/delete").by(&admin).id(&target.id))
        .await;
    assert_eq!(delete.status, 204);
    let again = env
        .call(Call::new("users/delete").by(&admin).id(&target.id))
        .await;
    assert_eq!(again.status, 204, "deactivation is idempotent");

    let events = env.events().await;
    let role = events
        .iter()
        .find(|e| e["type"] == "user.role_changed")
        .unwrap();
    assert_eq!(role["changes"]["role"], json!(["user", "approver"]));
    assert_eq!(role["actor"]["role"], "admin");
    let gone: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "user.deactivated")
        .collect();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0]["changes"]["is_active"], json!([true, false]));

    let listed = env
        .call(Call::new("users/get").by(&admin).id(&target.id))
        .await;
    assert_eq!(listed.body["is_active"], false);
}

#[tokio::test]
async fn admins_cannot_deactivate_themselves() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let reply = env
        .call(Call::new("users/delete").by(&admin).id(&admin.id))
        .await;
    assert_eq!(reply.status, 409);
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_logins() {
    let env = crate::env_vars(crate::THROTTLED_LOGINS).await;
    let owner = env.account("owner", Role::User).await;
    let change = |current: &str| {
        env.call(patch_user(
            &owner,
            &owner.id,
            json!({"password": "a brand new secret", "current_password": current}),
        ))
    };
    for _ in 0..3 {
        change("not it at all")
            .await
            .assert_problem(422, "current_password");
    }
    // The free attempts are spent: even the right password waits now.
    let throttled = change(PASSWORD).await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert!(throttled.header("retry-after").is_some());
    // One allowance per account: login waits too, and the password is
    // unchanged.
    let login = env.call(login_request(&owner.email, PASSWORD)).await;
    assert_eq!(login.status, 429);
    let events = env.events().await;
    assert!(events.iter().all(|e| e["type"] != "user.updated"));
}

#[tokio::test]
async fn a_retried_deactivation_never_leaves_a_session_alive() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let target = env.account("target", Role::User).await;
    let other = env.login(&target.email).await;
    // A deactivation that stored the flag but ended no session (as an
    // earlier request that failed half-way would have left it).
    let id = opsflow_platform::domain::EntityId::parse(&target.id).unwrap();
    let mut record = env.users.store.user_by_id(&id).await.unwrap().unwrap();
    record.is_active = false;
    env.users
        .store
        .update_user(&mut record, opsflow_platform::clock::now(), None)
        .await
        .unwrap();

    let retried = env
        .call(Call::new("users/delete").by(&admin).id(&target.id))
        .await;
    assert_eq!(retried.status, 204);
    for tokens in [&target.tokens, &other] {
        let me = env.call(me_request(&tokens.access)).await;
        assert_eq!(me.status, 401, "{}", me.body);
        let refresh = env
            .call(Call::new("auth/refresh").body(json!({"refresh_token": tokens.refresh})))
            .await;
        assert_eq!(refresh.status, 401);
    }
    // Reactivating the account does not bring those sessions back.
    let reactivated = env
        .call(patch_user(&admin, &target.id, json!({"is_active": true})))
        .await;
    assert_eq!(reactivated.status, 200, "{}", reactivated.body);
    for tokens in [&target.tokens, &other] {
        let me = env.call(me_request(&tokens.access)).await;
        assert_eq!(me.status, 401, "a session came back: {}", me.body);
    }
    assert!(!env.login(&target.email).await.access.is_empty());
}

#[tokio::test]
async fn a_role_change_or_deactivation_ends_every_session_and_is_audited() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let target = env.account("target", Role::User).await;
    let second = env.login(&target.email).await;
    let promote = env
        .call(patch_user(&admin, &target.id, json!({"role": "approver"})))
        .await;
    assert_eq!(promote.status, 200, "{}", promote.body);
    for tokens in [&target.tokens, &second] {
        let me = env.call(me_request(&tokens.access)).await;
        assert_eq!(me.status, 401);
        let refresh = env
            .call(Call::new("auth/refresh").body(json!({"refresh_token": tokens.refresh})))
            .await;
        assert_eq!(
            refresh.status, 401,
            "a refresh token outlived the role change"
        );
    }
    // A login after the change is a session of the new generation.
    let fresh = env.login(&target.email).await;
    let delete = env
        .call(Call::new("users/delete").by(&admin).id(&target.id))
        .await;
    assert_eq!(delete.status, 204);
    let me = env.call(me_request(&fresh.access)).await;
    assert_eq!(me.status, 401);

    let events = env.events().await;
    let revoked: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "session.revoked")
        .collect();
    let reasons: Vec<_> = revoked
        .iter()
        .map(|e| e["data"]["reason"].clone())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons.contains(&json!("role_changed")));
    assert!(reasons.contains(&json!("deactivated")));
    for event in &revoked {
        assert_eq!(event["entity"], "session");
        assert_eq!(event["entity_id"], json!(target.id));
        assert_eq!(event["data"]["user_id"], json!(target.id));
        assert_eq!(event["actor"]["id"], json!(admin.id));
    }
}
