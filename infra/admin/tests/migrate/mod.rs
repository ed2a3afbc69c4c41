//! `opsflow-admin migrate` on DynamoDB Local, with identity's migration
//! `identity-0001-user-session-generation`: user items of format 1 (from
//! before items carried a format, some from before session generations)
//! become format 2; a dry run writes nothing; a stopped run goes on where
//! it stopped; a finished one is not run again; and an item the platform
//! rewrote after the migration read it is left as the platform wrote it.

use super::store;
use opsflow_identity::domain::Email;
use opsflow_identity::store::users::{UserRecord, UserStore};
use opsflow_platform::registry::Registry;
use opsflow_platform::store::migrate::{self, Applied, Change, Migration, RunOptions, Status};
use opsflow_platform::store::{n, s, schema, Item, Store};
use std::process::Command;

const ID: &str = "identity-0001-user-session-generation";

fn migration() -> Migration {
    let registry = Registry::of(&[opsflow_identity::register]);
    *registry
        .migrations()
        .iter()
        .find(|m| m.id == ID)
        .expect("identity registers its migration")
}

async fn user_item(store: &Store, email: &str) -> Item {
    let record = store
        .user_by_email(&Email::parse(email).expect("an e-mail"))
        .await
        .expect("read")
        .expect("the user");
    store
        .get_item(format!("USER#{}", record.id), "USER")
        .await
        .expect("read")
        .expect("the item")
}

/// Makes `email`'s item look as a release from before formats wrote it:
/// no `schema`, and (`generation: None`) no `session_generation` either.
async fn make_format_one(store: &Store, email: &str, generation: Option<u64>) {
    let item = user_item(store, email).await;
    let pk = item["pk"].as_s().expect("pk").clone();
    let update = store.update_at(pk, "USER");
    let update = match generation {
        None => update.update_expression("REMOVE #schema, session_generation"),
        Some(g) => update
            .update_expression("REMOVE #schema SET session_generation = :g")
            .expression_attribute_values(":g", n(g)),
    };
    update
        .expression_attribute_names("#schema", "schema")
        .send()
        .await
        .expect("rewritten");
}

/// A table of its own holding one user, `email`, as a release from before
/// formats wrote it.
async fn one_old_user(email: &str) -> (Store, aws_sdk_dynamodb::Client, String) {
    let (store, client, table) = store().await;
    opsflow_admin::create_admin(&store, email, "Old", None)
        .await
        .expect("created");
    make_format_one(&store, email, None).await;
    (store, client, table)
}

fn schema_of(item: &Item) -> Option<&str> {
    item.get("schema")
        .and_then(|v| v.as_n().ok())
        .map(String::as_str)
}

#[tokio::test]
async fn users_of_the_first_format_move_to_the_second_once_resumably() {
    let (store, client, table) = store().await;
    let emails: Vec<String> = (0..7).map(|i| format!("user{i}@example.com")).collect();
    for email in &emails {
        opsflow_admin::create_admin(&store, email, "User", None)
            .await
            .expect("created");
    }
    // Written by this release: format 2.
    assert_eq!(schema_of(&user_item(&store, &emails[0]).await), Some("2"));
    for email in &emails[..4] {
        make_format_one(&store, email, None).await;
    }
    make_format_one(&store, &emails[4], Some(3)).await;
    let migration = migration();

    let dry = migrate::run(
        &store,
        &migration,
        RunOptions {
            dry_run: true,
            ..RunOptions::default()
        },
    )
    .await
    .expect("dry run");
    assert_eq!(dry.changed, 5, "{dry:?}");
    assert_eq!(
        schema_of(&user_item(&store, &emails[0]).await),
        None,
        "a dry run writes nothing"
    );
    assert_eq!(
        migrate::progress(&store, ID).await.expect("read").status,
        Status::Pending
    );

    // One page of three items, then stopped: the next run goes on.
    let stopped = RunOptions {
        page_size: 3,
        max_pages: Some(1),
        ..RunOptions::default()
    };
    let first = migrate::run(&store, &migration, stopped)
        .await
        .expect("run");
    assert_eq!((first.status, first.scanned), (Status::Running, 3));
    let stored = migrate::progress(&store, ID).await.expect("read");
    assert_eq!(stored, first, "the position is kept");
    let rest = migrate::run(
        &store,
        &migration,
        RunOptions {
            page_size: 3,
            ..RunOptions::default()
        },
    )
    .await
    .expect("run");
    assert_eq!(rest.status, Status::Done);
    assert_eq!(rest.changed, 5, "{rest:?}");
    assert!(rest.scanned > first.scanned);

    for email in &emails {
        let item = user_item(&store, email).await;
        assert_eq!(schema_of(&item), Some("2"), "{email}");
        let record = store
            .user_by_email(&Email::parse(email).expect("an e-mail"))
            .await
            .expect("read")
            .expect("the user");
        let expected = if email == &emails[4] { 3 } else { 0 };
        assert_eq!(record.session_generation, expected, "{email}");
        assert_eq!(
            record.version, 1,
            "a migration changes a format, not the entity"
        );
    }

    // Done: nothing is scanned again, not even by a dry run.
    let again = migrate::run(&store, &migration, RunOptions::default())
        .await
        .expect("run");
    assert_eq!(again, rest);
    let dry = migrate::run(
        &store,
        &migration,
        RunOptions {
            dry_run: true,
            ..RunOptions::default()
        },
    )
    .await
    .expect("dry run");
    assert_eq!(dry, rest);
    schema::delete_table(&client, &table)
        .await
        .expect("deleted");
}

#[tokio::test]
async fn an_item_the_platform_rewrote_after_it_was_read_is_left_alone() {
    let (store, client, table) = one_old_user("race@example.com").await;
    let read_by_the_migration = user_item(&store, "race@example.com").await;

    // Meanwhile the platform changes the user, writing format 2.
    let mut record: UserRecord = store
        .user_by_email(&Email::parse("race@example.com").expect("an e-mail"))
        .await
        .expect("read")
        .expect("the user");
    record.session_generation = 7;
    store
        .update_user(&mut record, opsflow_platform::clock::now(), None)
        .await
        .expect("updated");

    let applied = migrate::apply(&store, &migration(), read_by_the_migration, false)
        .await
        .expect("applied");
    assert_eq!(applied, Applied::ChangedMeanwhile);
    let item = user_item(&store, "race@example.com").await;
    assert_eq!(
        item["session_generation"],
        n(7),
        "the platform's write stands"
    );
    assert_eq!(item["version"], n(2));
    assert_eq!(item["type"], s("user"));
    schema::delete_table(&client, &table)
        .await
        .expect("deleted");
}

#[tokio::test]
async fn the_command_lists_runs_and_refuses_an_unknown_migration() {
    let (store, client, table) = one_old_user("cli@example.com").await;
    let admin = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_opsflow-admin"))
            .arg("migrate")
            .args(["--table", &table])
            .args(args)
            .env("AWS_REGION", "us-east-1")
            .output()
            .expect("opsflow-admin runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, _) = admin(&["--list"]);
    assert!(ok);
    assert!(out.contains(&format!("{ID}: pending")), "{out}");
    let (ok, out, _) = admin(&["--dry-run"]);
    assert!(ok);
    assert!(out.contains(&format!("{ID}: would change 1 of")), "{out}");
    let (ok, out, _) = admin(&[]);
    assert!(ok);
    assert!(
        out.contains(&format!("{ID}: done; ")) && out.contains("1 changed"),
        "{out}"
    );
    let (ok, _, err) = admin(&["--only", "identity-9999-nothing"]);
    assert!(!ok);
    assert!(err.contains(ID), "the error lists the known ids: {err}");
    assert_eq!(
        schema_of(&user_item(&store, "cli@example.com").await),
        Some("2")
    );
    schema::delete_table(&client, &table)
        .await
        .expect("deleted");
}

#[test]
fn the_command_knows_every_module_so_no_migration_is_left_out() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let crates = |path: &str, section: &str| -> Vec<String> {
        let text = std::fs::read_to_string(format!("{root}/{path}")).expect("a manifest");
        let mut inside = false;
        let mut found = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                inside = line == section;
            } else if inside {
                let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
                if name.starts_with("opsflow-") && name != "opsflow-platform" {
                    found.push(name.to_owned());
                }
            }
        }
        found.sort();
        found
    };
    let modules = crates("Cargo.toml", "[workspace.dependencies]");
    assert!(modules.len() >= 12, "{modules:?}");
    assert_eq!(crates("infra/admin/Cargo.toml", "[dependencies]"), modules);
}

/// A migration of these tests: `label` computed from `name` (read).
fn label_from_name(item: &Item) -> Option<Change> {
    let is_user = item.get("type") == Some(&s("user"));
    let name = item.get("name")?.as_s().ok()?;
    (is_user && migrate::schema_of(item) == 2).then(|| Change {
        from_schema: 2,
        to_schema: 3,
        set: vec![("label".to_owned(), s(name.to_uppercase()))],
        read: vec!["name".to_owned()],
        ..Change::default()
    })
}

const LABELS: Migration = Migration {
    id: "test-0002-label",
    summary: "users get a label from their name",
    change: label_from_name,
};

#[tokio::test]
async fn a_value_computed_from_an_attribute_changed_since_is_computed_again() {
    let (store, client, table) = store().await;
    opsflow_admin::create_admin(&store, "label@example.com", "Ana", None)
        .await
        .expect("created");
    let read_by_the_migration = user_item(&store, "label@example.com").await;
    // Meanwhile a write that moves neither the format nor the version.
    let pk = read_by_the_migration["pk"].as_s().expect("pk").clone();
    store
        .update_at(pk, "USER")
        .update_expression("SET #name = :name")
        .expression_attribute_names("#name", "name")
        .expression_attribute_values(":name", s("Bea"))
        .send()
        .await
        .expect("renamed");
    let applied = migrate::apply(&store, &LABELS, read_by_the_migration, false)
        .await
        .expect("applied");
    assert_eq!(applied, Applied::Changed);
    let item = user_item(&store, "label@example.com").await;
    assert_eq!(
        item["label"],
        s("BEA"),
        "computed from the name as it is now"
    );
    assert_eq!(schema_of(&item), Some("3"));
    schema::delete_table(&client, &table)
        .await
        .expect("deleted");
}

#[tokio::test]
async fn a_migration_waits_for_the_ones_registered_before_it() {
    let (store, client, table) = store().await;
    let registered = [migration(), LABELS];
    let refused = opsflow_admin::migrate::check_order(&store, &registered, &[LABELS])
        .await
        .unwrap_err();
    assert!(refused.to_string().contains(ID), "{refused}");
    migrate::run(&store, &registered[0], RunOptions::default())
        .await
        .expect("run");
    opsflow_admin::migrate::check_order(&store, &registered, &[LABELS])
        .await
        .expect("the one before is done");
    schema::delete_table(&client, &table)
        .await
        .expect("deleted");
}
