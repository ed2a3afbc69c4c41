//! The insights module's items in the entity table.
//!
//! | item | pk | sk | notes |
//! |---|---|---|---|
//! | a workflow's statistics | `INSIGHTS#WORKFLOW#<id>` | `STATS` | `requests`, `a<bucket>` (amounts by log bucket), `fields` (string set), `s<step>n` / `s<step>t` (decided steps, their seconds) — all moved by `ADD` |
//! | a requester's statistics | `INSIGHTS#REQUESTER#<id>` | `STATS` | `filed`, `decided`, `rejected` (`ADD`) |
//! | a requester's hour | `INSIGHTS#REQUESTER#<id>` | `HOUR#<YYYY-MM-DDTHH>` | `count` (`ADD`), expires two days after its hour |
//! | an approval's scoring | `INSIGHTS#APPROVAL#<id>` | `SCORING` | what it was scored from, its step, its risk; versioned |
//! | an event's mark | `INSIGHTS#EVENT#<event id>` | `SEEN` | written with the statistics it moved; holds the follow-up; kept 15 days |
//! | an approval's watch | `INSIGHTS#WATCH#<shard>` | `<due ms>#<approval id>` | see [`findings`] |
//! | a detector's finding | `INSIGHTS#FINDINGS` | `<detector>#<subject>` | see [`findings`] |
//! | an insight | `INSIGHT#<id>` | `INSIGHT` | `gsi1 = INSIGHTS`, `gsi2 = INSIGHTS#WORKFLOW#<id>` (when about a workflow's request), both sorted `INSIGHT#<id>` (newest last) |
//!
//! Access patterns: statistics, scorings, marks and insights by key
//! (`GetItem`, consistent); a requester's last day: `Query
//! INSIGHTS#REQUESTER#<id>, sk BETWEEN HOUR#<first> AND HOUR#<last>`;
//! insights newest first: `Query gsi1 INSIGHTS` / `gsi2
//! INSIGHTS#WORKFLOW#<id>`, descending. No scan.

mod deltas;
pub mod findings;
pub mod insights;
pub mod statistics;

pub use findings::{Backlog, Finding, FindingStore, Watch};
pub use insights::{InsightFilter, InsightListing, InsightRecord, InsightStore};
pub use opsflow_platform::store::{Store, StoreError, StoreFuture};
pub use statistics::{Mark, Scoring, StatDelta, StatisticsStore, WorkflowStats};
