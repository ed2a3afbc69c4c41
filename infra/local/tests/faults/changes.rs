//! The changes the test commits, through the store's own outbox writes:
//! registrations (`create_user`: user, e-mail guard and event in one
//! transaction), role changes (`update_user`: versioned replace and event),
//! client reports (`publish_event`); and two attempts that must not commit.

use opsflow_identity::api::UserView;
use opsflow_identity::domain::{DisplayName, Email, User};
use opsflow_identity::store::users::{CreateUserError, UserRecord};
use opsflow_identity::store::UserStore;
use opsflow_platform::clock;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::events::{Actor, Envelope};
use opsflow_platform::store::{Store, StoreError};
use serde_json::json;

/// One change and how it is committed.
pub enum Change {
    Register(UserRecord, Envelope),
    PromoteToApprover(UserRecord, Envelope),
    ClientReport(Envelope),
}

impl Change {
    pub fn envelope(&self) -> &Envelope {
        match self {
            Change::Register(_, e) | Change::PromoteToApprover(_, e) | Change::ClientReport(e) => e,
        }
    }

    pub async fn commit(self, store: &Store) {
        match self {
            Change::Register(record, event) => store
                .create_user(&record, &event)
                .await
                .expect("the registration commits"),
            Change::PromoteToApprover(mut record, event) => {
                record.role = Role::Approver;
                store
                    .update_user(&mut record, clock::now(), Some(&event))
                    .await
                    .expect("the role change commits")
            }
            Change::ClientReport(event) => store
                .publish_event(&event)
                .await
                .expect("the report commits"),
        }
    }
}

fn new_user(email: &str) -> (User, UserRecord) {
    named_user(email, "Fault Tester")
}

fn named_user(email: &str, name: &str) -> (User, UserRecord) {
    let now = clock::now();
    let user = User {
        id: EntityId::new(),
        email: Email::parse(email).expect("a valid e-mail address"),
        name: DisplayName::parse(name).expect("a valid name"),
        role: Role::User,
        is_active: true,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    // Nothing here checks the password, so no time is spent hashing one.
    let record = UserRecord::new(&user, "not-a-password-hash".into());
    (user, record)
}

fn registered(user: &User) -> Envelope {
    Envelope::new(
        "user.registered",
        "user",
        user.id,
        Actor::system(),
        "pipeline-faults",
        UserView::from(user).to_value(),
    )
}

fn role_changed(record: &UserRecord, from: Role, to: Role) -> Envelope {
    Envelope::new(
        "user.role_changed",
        "user",
        record.id,
        Actor::system(),
        "pipeline-faults",
        json!({"id": record.id.to_string(), "role": to.as_str()}),
    )
    .change("role", from.as_str(), to.as_str())
}

/// The e-mail address of the `index`-th registration of a run.
fn email(run: &str, index: usize) -> String {
    format!("faults-{run}-{index}@example.com")
}

/// The `index`-th registration of a run, of a user called `name`.
pub fn registration(run: &str, index: usize, name: &str) -> Change {
    let (user, record) = named_user(&email(run, index), name);
    Change::Register(record, registered(&user))
}

/// The changes to commit, in order: `registrations` users registered, the
/// first `promotions` of them made approvers, `reports` client reports.
pub struct Plan {
    pub changes: Vec<Change>,
    /// The first user as registered (version 1).
    pub first_user: UserRecord,
}

pub fn plan(run: &str, registrations: usize, promotions: usize, reports: usize) -> Plan {
    assert!(registrations > 0, "the plan registers someone");
    let mut changes = Vec::new();
    let mut records: Vec<UserRecord> = Vec::new();
    for i in 0..registrations {
        let (user, record) = new_user(&email(run, i));
        changes.push(Change::Register(record.clone(), registered(&user)));
        records.push(record);
    }
    let first_user = records[0].clone();
    for record in records.into_iter().take(promotions) {
        let event = role_changed(&record, Role::User, Role::Approver);
        changes.push(Change::PromoteToApprover(record, event));
    }
    for i in 0..reports {
        changes.push(Change::ClientReport(Envelope::new(
            "client.report.exported",
            "report",
            format!("report-{i}"),
            Actor::system(),
            "pipeline-faults",
            json!({"format": "csv"}),
        )));
    }
    Plan {
        changes,
        first_user,
    }
}

/// Tries a registration with the first user's address and a role change of
/// the first user from its first version; once `plan`'s changes (with at
/// least one promotion) have committed, both must be refused. Returns their
/// envelopes.
pub async fn attempt_rejected(store: &Store, run: &str, first_user: &UserRecord) -> Vec<Envelope> {
    let (user, record) = new_user(&email(run, 0));
    let duplicate = registered(&user);
    let outcome = store.create_user(&record, &duplicate).await;
    assert!(
        matches!(outcome, Err(CreateUserError::EmailTaken)),
        "{outcome:?}"
    );

    let mut stale = first_user.clone();
    stale.role = Role::Admin;
    let demotion = role_changed(&stale, Role::User, Role::Admin);
    let outcome = store
        .update_user(&mut stale, clock::now(), Some(&demotion))
        .await;
    assert!(
        matches!(outcome, Err(StoreError::ConditionFailed)),
        "{outcome:?}"
    );
    vec![duplicate, demotion]
}
