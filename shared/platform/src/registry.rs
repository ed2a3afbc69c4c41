//! What modules offer to the consumers that serve every module. A module
//! describes each kind of entity it owns once ([`EntitySource`]: how to
//! show one, who may see it) and, where rules may act on it, the actions it
//! takes ([`ActionTarget`]). It joins with one `register(&mut Registry)`
//! call in the `main.rs` of each consumer function that needs it; the
//! consumers (the audit log's visibility check, `execute`'s loading of an
//! entity, the rule runner's actions) look kinds up here and never `match`
//! on a module's name. A kind nobody registered is simply unknown: not
//! visible, not loadable, not acted on.

use crate::auth::Principal;
use crate::domain::EntityId;
use crate::error::ApiResult;
use crate::events::Envelope;
use crate::store::{Store, StoreError};
use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One kind of entity, as the consumers that serve every module see it.
pub trait EntitySource: Send + Sync {
    /// The kind, as events name it (`envelope.entity`: `approval`, `user`).
    fn kind(&self) -> &'static str;

    /// The entity as its events carry it (`data`, its view), or `None`
    /// when none has this id.
    fn view<'a>(
        &'a self,
        store: &'a Store,
        id: &'a EntityId,
    ) -> BoxFuture<'a, ApiResult<Option<Value>>>;

    /// Whether `principal`, who is not an admin, may see the entity with
    /// this id (as the audit log names it), and so what is recorded about
    /// it. An id that names nothing is not visible.
    fn visible_to<'a>(
        &'a self,
        store: &'a Store,
        principal: &'a Principal,
        id: &'a str,
    ) -> BoxFuture<'a, ApiResult<bool>>;
}

/// How to show an entity of a kind ([`EntitySource::view`]).
pub type ViewFn = for<'a> fn(&'a Store, &'a EntityId) -> BoxFuture<'a, ApiResult<Option<Value>>>;

/// Whether a non-admin may see an entity of a kind
/// ([`EntitySource::visible_to`]).
pub type VisibleFn =
    for<'a> fn(&'a Store, &'a Principal, &'a str) -> BoxFuture<'a, ApiResult<bool>>;

/// An [`EntitySource`] made of its two functions: how a module that keeps
/// no state describes a kind.
#[derive(Debug, Clone, Copy)]
pub struct EntityKind {
    pub kind: &'static str,
    pub view: ViewFn,
    pub visible_to: VisibleFn,
}

impl EntityKind {
    /// The visibility of a kind no non-admin may see.
    pub fn hidden<'a>(
        _: &'a Store,
        _: &'a Principal,
        _: &'a str,
    ) -> BoxFuture<'a, ApiResult<bool>> {
        Box::pin(async { Ok(false) })
    }
}

impl EntitySource for EntityKind {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn view<'a>(
        &'a self,
        store: &'a Store,
        id: &'a EntityId,
    ) -> BoxFuture<'a, ApiResult<Option<Value>>> {
        (self.view)(store, id)
    }

    fn visible_to<'a>(
        &'a self,
        store: &'a Store,
        principal: &'a Principal,
        id: &'a str,
    ) -> BoxFuture<'a, ApiResult<bool>> {
        (self.visible_to)(store, principal, id)
    }
}

/// A rule's action on the entity an event is about.
#[derive(Debug, Clone, Copy)]
pub struct EntityAction<'a> {
    /// The action's name in the rule language (`approve`, `assign`, …).
    pub name: &'a str,
    /// Its arguments, as the rule states them (the rule language has
    /// already checked their shape).
    pub args: &'a Value,
    /// The event the rule matched.
    pub event: &'a Envelope,
    /// The rule that acts.
    pub rule_id: EntityId,
    /// The id the change's own event must carry: derived from the event,
    /// the rule and the action's place in it, so that a repeated delivery
    /// finds it in the outbox and does nothing twice.
    pub event_id: EntityId,
}

/// Why an action did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFailure {
    /// Worth retrying: storage or a queue failed.
    Transient(String),
    /// Retrying cannot help; the text says why.
    Permanent(String),
}

impl ActionFailure {
    /// A storage failure, worth retrying. The run's record says what
    /// failed; the SDK's text (endpoints, account ids) goes to the log
    /// only.
    pub fn storage(error: StoreError) -> Self {
        let summary = match &error {
            StoreError::Other(operation) => format!("storage call {operation} failed"),
            known => known.to_string(),
        };
        tracing::warn!(error = ?error, "storage call failed");
        Self::Transient(summary)
    }
}

/// The actions rules may take on one kind of entity.
pub trait ActionTarget: Send + Sync {
    /// The kind acted on, as events name it.
    fn kind(&self) -> &'static str;

    /// The action names this target carries out.
    fn actions(&self) -> &'static [&'static str];

    /// Carries out `action`; on success, a short detail for the run.
    fn act<'a>(
        &'a self,
        store: &'a Store,
        action: EntityAction<'a>,
    ) -> BoxFuture<'a, Result<String, ActionFailure>>;
}

/// A queue the event router feeds with some events only, each delivered
/// when its envelope says: how a module puts its own work on its own
/// queue through the outbox (jobs on the jobs queues, each when it is
/// due), so that no work is lost between its record and its queue.
#[derive(Debug, Clone, Copy)]
pub struct QueueLane {
    /// The configuration variable that names the queue's URL.
    pub queue_variable: &'static str,
    /// Whether the lane takes `envelope` (a platform event, as committed)
    /// and, if it does, after how many seconds SQS is to deliver it (at
    /// most 900, the SQS limit).
    pub takes: fn(&Value) -> Option<u32>,
}

/// What one run of a [`Sweep`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Items whose time had come and were dealt with by this run.
    pub done: usize,
    /// Items that needed nothing (dealt with already, or moved on).
    pub skipped: usize,
    /// Items that failed; the next run tries them again.
    pub failed: usize,
}

/// One firing of the scheduler, as each sweep sees it: the store, the
/// watched queues, the time (the same for every sweep) and the tick's
/// correlation id.
#[derive(Debug, Clone, Copy)]
pub struct Tick<'a> {
    pub store: &'a Store,
    pub queues: &'a crate::pipeline::queues::QueueProbe,
    pub now: time::OffsetDateTime,
    pub correlation_id: &'a str,
}

/// Work a module finds by time and does on a schedule (the steps due to
/// escalate, the detectors of insights): the `scheduler` function runs
/// every registered sweep each time its schedule fires. A sweep reads what
/// is due from a key ordered by time (never a scan) and is safe to run
/// twice at once.
#[derive(Debug, Clone, Copy)]
pub struct Sweep {
    pub name: &'static str,
    /// One run, at one tick.
    pub run: for<'a> fn(&'a Tick<'a>) -> BoxFuture<'a, Result<SweepReport, StoreError>>,
}

/// The kinds of entity, the action targets, the queue lanes, the sweeps
/// and the data migrations the modules registered.
#[derive(Clone, Default)]
pub struct Registry {
    entities: BTreeMap<&'static str, Arc<dyn EntitySource>>,
    targets: BTreeMap<&'static str, Arc<dyn ActionTarget>>,
    lanes: Vec<QueueLane>,
    sweeps: Vec<Sweep>,
    migrations: Vec<crate::store::migrate::Migration>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a kind of entity. A kind registered twice is a wiring mistake
    /// in a `main.rs`, caught at cold start.
    pub fn entity(&mut self, source: impl EntitySource + 'static) -> &mut Self {
        let kind = source.kind();
        let previous = self.entities.insert(kind, Arc::new(source));
        assert!(previous.is_none(), "entity kind {kind} registered twice");
        self
    }

    /// Adds the actions rules may take on a kind of entity.
    pub fn action_target(&mut self, target: impl ActionTarget + 'static) -> &mut Self {
        let kind = target.kind();
        let previous = self.targets.insert(kind, Arc::new(target));
        assert!(previous.is_none(), "action target {kind} registered twice");
        self
    }

    /// Adds a queue lane of the event router.
    pub fn lane(&mut self, lane: QueueLane) -> &mut Self {
        self.lanes.push(lane);
        self
    }

    /// Every registered queue lane, in the order registered.
    pub fn lanes(&self) -> &[QueueLane] {
        &self.lanes
    }

    /// Adds a sweep of the scheduler. A name registered twice is a wiring
    /// mistake in a `main.rs`, caught at cold start.
    pub fn sweep(&mut self, sweep: Sweep) -> &mut Self {
        let name = sweep.name;
        assert!(
            self.sweeps.iter().all(|s| s.name != name),
            "sweep {name} registered twice"
        );
        self.sweeps.push(sweep);
        self
    }

    /// Every registered sweep, in the order registered.
    pub fn sweeps(&self) -> &[Sweep] {
        &self.sweeps
    }

    /// Adds a data migration of `opsflow-admin migrate`. An id registered
    /// twice is a wiring mistake, caught when the registry is built.
    pub fn migration(&mut self, migration: crate::store::migrate::Migration) -> &mut Self {
        let id = migration.id;
        assert!(
            self.migrations.iter().all(|m| m.id != id),
            "migration {id} registered twice"
        );
        self.migrations.push(migration);
        self
    }

    /// Every registered migration, in the order registered.
    pub fn migrations(&self) -> &[crate::store::migrate::Migration] {
        &self.migrations
    }

    /// The registry the `register` functions of `modules` fill.
    pub fn of(modules: &[fn(&mut Registry)]) -> Self {
        let mut registry = Self::new();
        for register in modules {
            register(&mut registry);
        }
        registry
    }

    /// The source of `kind`, if a module registered it.
    pub fn entity_source(&self, kind: &str) -> Option<&dyn EntitySource> {
        self.entities.get(kind).map(|source| source.as_ref())
    }

    /// The target of rule actions on `kind`, if a module registered one.
    pub fn action_target_for(&self, kind: &str) -> Option<&dyn ActionTarget> {
        self.targets.get(kind).map(|target| target.as_ref())
    }

    /// The target that carries out the rule action `name`, if a module
    /// registered one (each action name belongs to one kind).
    pub fn action_target_offering(&self, name: &str) -> Option<&dyn ActionTarget> {
        self.targets
            .values()
            .find(|target| target.actions().contains(&name))
            .map(|target| target.as_ref())
    }

    /// Every registered kind of entity, in name order.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entities.keys().copied()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("entities", &self.entities.keys().collect::<Vec<_>>())
            .field("targets", &self.targets.keys().collect::<Vec<_>>())
            .field("lanes", &self.lanes)
            .field(
                "sweeps",
                &self.sweeps.iter().map(|s| s.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(non_upper_case_globals)]
    const Widgets: EntityKind = EntityKind {
        kind: "widget",
        view: |_, id| {
            Box::pin(async move { Ok(Some(serde_json::json!({ "id": id.to_string() }))) })
        },
        visible_to: EntityKind::hidden,
    };

    #[test]
    fn kinds_are_found_by_name_and_unknown_kinds_are_absent() {
        let mut registry = Registry::new();
        registry.entity(Widgets);
        assert!(registry.entity_source("widget").is_some());
        assert!(registry.entity_source("gadget").is_none());
        assert!(registry.action_target_for("widget").is_none());
        assert_eq!(registry.kinds().collect::<Vec<_>>(), ["widget"]);
    }

    #[tokio::test]
    async fn a_kind_of_functions_answers_with_them() {
        let store = Store::new(
            aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                    .build(),
            ),
            "unused",
        );
        let id = EntityId::new();
        let principal = Principal {
            user_id: EntityId::new(),
            role: crate::domain::Role::User,
            session_id: "s-1".into(),
            session_generation: None,
            token_id: "t-1".into(),
            expires_at: 0,
        };
        let source: &dyn EntitySource = &Widgets;
        assert_eq!(source.kind(), "widget");
        let view = source.view(&store, &id).await.expect("a view");
        assert_eq!(view, Some(serde_json::json!({ "id": id.to_string() })));
        let visible = source.visible_to(&store, &principal, "w-1").await;
        assert!(!visible.expect("an answer"));
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn a_kind_registered_twice_is_refused() {
        Registry::new().entity(Widgets).entity(Widgets);
    }

    #[test]
    fn a_storage_failure_names_the_call_and_keeps_the_sdks_text_out_of_the_run() {
        let sdk = anyhow::anyhow!("https://dynamodb.eu-west-1.amazonaws.com account 123456789012");
        let failure = ActionFailure::storage(StoreError::Other(sdk.context("Query")));
        assert_eq!(
            failure,
            ActionFailure::Transient("storage call Query failed".into())
        );
        assert_eq!(
            ActionFailure::storage(StoreError::Throttled),
            ActionFailure::Transient(StoreError::Throttled.to_string())
        );
    }
}
