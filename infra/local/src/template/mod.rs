//! Reads `template.yaml` (AWS SAM) into what the local runtime runs: the
//! functions (binary, environment, memory, timeout, event sources), the
//! DynamoDB tables, the SQS queues, the S3 buckets, the SES e-mail
//! identities, and the HTTP API's routes and CORS settings.
//!
//! CloudFormation intrinsics are resolved to local values, in their short
//! (`!Ref`, `!Sub`, …) and long (`Ref:`, `Fn::Sub:`, …) forms: `Ref`,
//! `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`
//! (with the template's `Conditions`: `Fn::Equals`, `Fn::Not`, `Fn::And`,
//! `Fn::Or`, `Condition`), `Fn::FindInMap`, `Fn::Base64` and `Fn::GetAZs`.
//! Parameters take their value from [`LocalContext::parameters`], else their
//! `Default`; pseudo parameters use the context's region and account and the
//! stack name `opsflow-local`. Tables and buckets resolve to their names,
//! queues to their URLs on moto, functions to their names, e-mail identities
//! to their address or domain, and `Fn::GetAtt … Arn` to local ARNs.
//! Resources whose `Condition` is false are left out, and
//! `Globals.Function` / `Globals.HttpApi` are merged in as SAM does.
//! Dynamic references (`{{resolve:ssm:…}}`, `{{resolve:secretsmanager:…}}`)
//! cannot be resolved locally: they are kept as text, the context's
//! environment overrides replace them, and a warning names every variable
//! still holding one.
//!
//! Anything that would run differently locally is refused with an error
//! naming its place in the template (`Resources.AuthFunction.Properties.…`):
//! event types other than `HttpApi`, `SQS`, `DynamoDB`, `Schedule` and
//! `ScheduleV2`, functions not built with `rust-cargolambda`, local secondary
//! indexes, OpenAPI-defined HTTP APIs, more than one HTTP API, and
//! intrinsics such as `Fn::ImportValue`. Resources with no local meaning
//! (log groups, alarms, topics, secrets, IAM, bucket policies, …) and
//! settings that are not emulated are listed in [`Template::warnings`].
//!
//! The reading is split by concept: `reader` walks the resources in
//! template order and assembles the [`Template`]; `parameters`,
//! `conditions`, `intrinsics` and `references` resolve values; `properties`
//! and `values` read resource properties and plain YAML; `functions`,
//! `events`, `http_api`, `tables`, `queues`, `buckets` and `email` each turn
//! one kind of resource into its definition.

mod buckets;
mod conditions;
mod email;
mod events;
mod functions;
mod http_api;
mod intrinsics;
mod parameters;
mod properties;
mod queues;
mod reader;
mod references;
mod tables;
#[cfg(test)]
mod test_support;
mod values;

use anyhow::{anyhow, bail, Context, Result};
use reader::Reader;
use std::collections::BTreeMap;
use std::path::Path;
use yaml_serde::Value;

/// Values the template cannot know locally: parameter overrides, the
/// region/account used in ARNs, the queue endpoint, and values for dynamic
/// references (`{{resolve:ssm:…}}`, `{{resolve:secretsmanager:…}}`) and for
/// environment variables that must be replaced locally.
#[derive(Debug, Clone, Default)]
pub struct LocalContext {
    /// Parameter values that override the template's defaults.
    pub parameters: BTreeMap<String, String>,
    /// `us-east-1` by default.
    pub region: String,
    /// The account id used in ARNs and queue URLs (moto's default is
    /// `123456789012`).
    pub account_id: String,
    /// moto's base URL, e.g. `http://127.0.0.1:5000`; queue URLs are
    /// `{sqs_endpoint}/{account_id}/{queue name}`.
    pub sqs_endpoint: String,
    /// Environment variables set on every function after template
    /// resolution, replacing template values (local keys, endpoints).
    pub environment_overrides: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub functions: Vec<FunctionDef>,
    pub tables: Vec<TableDef>,
    pub queues: Vec<QueueDef>,
    pub buckets: Vec<BucketDef>,
    pub email_identities: Vec<EmailIdentityDef>,
    /// Routes of every `HttpApi` event of every function.
    pub routes: Vec<HttpRoute>,
    /// The `CorsConfiguration` of the (single) `AWS::Serverless::HttpApi`.
    pub cors: Option<CorsConfig>,
    /// Constructs that were ignored locally (alarms, log groups, …), one line
    /// each, to print at start-up.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// The logical id, e.g. `AuthFunction`.
    pub logical_id: String,
    /// `FunctionName` if set (resolved), else the logical id.
    pub function_name: String,
    /// `Metadata.BuildProperties.Binary` (cargo binary name).
    pub binary: String,
    /// Globals merged with the function's own variables, all resolved.
    pub environment: BTreeMap<String, String>,
    pub memory_mb: u32,
    pub timeout_secs: u32,
    pub architecture: String,
    /// `ReservedConcurrentExecutions`: at most this many instances run at
    /// once (locally too, within the runtime's own instance limit).
    pub reserved_concurrency: Option<u32>,
    pub events: Vec<EventSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventSource {
    Http(HttpRoute),
    Sqs(SqsSource),
    Stream(StreamSource),
    Schedule(ScheduleSource),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// e.g. `/users/{id}` or `/files/{proxy+}`.
    pub path: String,
    /// The logical id of the function that serves it.
    pub function: String,
}

impl HttpRoute {
    /// API Gateway's route key, e.g. `GET /users/{id}`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SqsSource {
    pub function: String,
    /// Logical id of the queue.
    pub queue: String,
    pub batch_size: u32,
    pub batching_window_secs: u32,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_batch_item_failures: bool,
    /// `ScalingConfig.MaximumConcurrency`: the most invocations the mapping
    /// has in flight (2–1000); `None` leaves it to Lambda.
    pub maximum_concurrency: Option<u32>,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamSource {
    pub function: String,
    /// Logical id of the table.
    pub table: String,
    pub batch_size: u32,
    pub starting_position: String,
    /// Each `FilterCriteria.Filters[].Pattern`, parsed from its JSON text.
    pub filter_patterns: Vec<serde_json::Value>,
    pub report_batch_item_failures: bool,
    /// `MaximumRetryAttempts`, -1 for infinite (Lambda's default).
    pub maximum_retry_attempts: i64,
    /// `MaximumRecordAgeInSeconds`, -1 for infinite (Lambda's default):
    /// older records are given up without being delivered.
    pub maximum_record_age_secs: i64,
    /// `BisectBatchOnFunctionError`: a batch whose invocation fails is
    /// split in two, and each half retried on its own.
    pub bisect_batch_on_function_error: bool,
    /// `DestinationConfig.OnFailure.Destination`: the logical id of the
    /// queue that gets a record of every batch given up.
    pub on_failure: Option<String>,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSource {
    pub function: String,
    /// The event's name in the template.
    pub name: String,
    /// `rate(1 minute)` or `cron(0 12 * * ? *)`.
    pub expression: String,
    /// `Input` (a JSON text) if given.
    pub input: Option<String>,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    pub logical_id: String,
    /// `TableName`, resolved.
    pub name: String,
    /// Attribute name → `S` | `N` | `B`.
    pub attributes: BTreeMap<String, String>,
    pub hash_key: String,
    pub range_key: Option<String>,
    pub global_indexes: Vec<IndexDef>,
    /// `StreamSpecification.StreamViewType`, if any.
    pub stream_view_type: Option<String>,
    /// `TimeToLiveSpecification.AttributeName` when enabled.
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    pub hash_key: String,
    pub range_key: Option<String>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDef {
    pub logical_id: String,
    /// `QueueName`, resolved; else `<stack>-<LogicalId>` style generated name.
    pub name: String,
    pub fifo: bool,
    pub visibility_timeout_secs: u32,
    pub message_retention_secs: Option<u32>,
    /// The dead-letter queue's logical id and `maxReceiveCount`.
    pub redrive: Option<Redrive>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDef {
    pub logical_id: String,
    /// `BucketName`, resolved; else a generated lowercase `opsflow-local-<id>`.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailIdentityDef {
    pub logical_id: String,
    /// `EmailIdentity`, resolved: the address (or domain) mail is sent from.
    pub identity: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsConfig {
    pub allow_origins: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_methods: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u32>,
    pub allow_credentials: bool,
}

/// `AWS::StackName` locally, and the prefix of generated resource names.
pub const STACK_NAME: &str = "opsflow-local";
/// Region used when [`LocalContext::region`] is empty.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Account id used when [`LocalContext::account_id`] is empty (moto's).
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// moto's address used when [`LocalContext::sqs_endpoint`] is empty.
pub const DEFAULT_SQS_ENDPOINT: &str = "http://127.0.0.1:5000";

const FUNCTION: &str = "AWS::Serverless::Function";
const TABLE: &str = "AWS::DynamoDB::Table";
const SIMPLE_TABLE: &str = "AWS::Serverless::SimpleTable";
const QUEUE: &str = "AWS::SQS::Queue";
const HTTP_API: &str = "AWS::Serverless::HttpApi";
const SECRET: &str = "AWS::SecretsManager::Secret";
const BUCKET: &str = "AWS::S3::Bucket";
const EMAIL_IDENTITY: &str = "AWS::SES::EmailIdentity";

/// Resource types (or type prefixes) that have no local meaning.
const IGNORED_TYPES: [&str; 15] = [
    "AWS::Logs::",
    "AWS::CloudWatch::",
    "AWS::SNS::",
    "AWS::SecretsManager::",
    "AWS::IAM::",
    "AWS::SSM::",
    "AWS::KMS::",
    "AWS::XRay::",
    "AWS::Lambda::Permission",
    "AWS::CertificateManager::",
    "AWS::Route53::",
    "AWS::WAFv2::",
    "AWS::Budgets::",
    "AWS::ResourceGroups::",
    // Not applied: moto enforces no access policy while its authentication
    // is off (as `emulators.sh` runs it), and the template's policy denies
    // plain `http`, the only scheme the local endpoints speak.
    "AWS::S3::BucketPolicy",
];

impl LocalContext {
    /// The region, or [`DEFAULT_REGION`] when unset.
    pub fn effective_region(&self) -> &str {
        non_empty(&self.region, DEFAULT_REGION)
    }

    /// The account id, or [`DEFAULT_ACCOUNT_ID`] when unset.
    pub fn effective_account_id(&self) -> &str {
        non_empty(&self.account_id, DEFAULT_ACCOUNT_ID)
    }

    /// moto's base URL without a trailing `/`, or [`DEFAULT_SQS_ENDPOINT`].
    pub fn effective_sqs_endpoint(&self) -> &str {
        non_empty(&self.sqs_endpoint, DEFAULT_SQS_ENDPOINT).trim_end_matches('/')
    }
}

fn non_empty<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() {
        default
    } else {
        value
    }
}

impl Template {
    /// The function with this logical id.
    pub fn function(&self, logical_id: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }

    /// The table with this logical id.
    pub fn table(&self, logical_id: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    /// The queue with this logical id.
    pub fn queue(&self, logical_id: &str) -> Option<&QueueDef> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }

    /// The bucket with this logical id.
    pub fn bucket(&self, logical_id: &str) -> Option<&BucketDef> {
        self.buckets.iter().find(|b| b.logical_id == logical_id)
    }

    /// The e-mail identity with this logical id.
    pub fn email_identity(&self, logical_id: &str) -> Option<&EmailIdentityDef> {
        self.email_identities
            .iter()
            .find(|e| e.logical_id == logical_id)
    }
}

impl FunctionDef {
    /// The SQS event sources of this function.
    pub fn sqs_sources(&self) -> impl Iterator<Item = &SqsSource> {
        self.events.iter().filter_map(|e| match e {
            EventSource::Sqs(s) => Some(s),
            _ => None,
        })
    }

    /// The DynamoDB stream event sources of this function.
    pub fn stream_sources(&self) -> impl Iterator<Item = &StreamSource> {
        self.events.iter().filter_map(|e| match e {
            EventSource::Stream(s) => Some(s),
            _ => None,
        })
    }

    /// The schedules of this function.
    pub fn schedules(&self) -> impl Iterator<Item = &ScheduleSource> {
        self.events.iter().filter_map(|e| match e {
            EventSource::Schedule(s) => Some(s),
            _ => None,
        })
    }
}

/// Reads and parses the template at `path`.
pub fn load(path: &Path, ctx: &LocalContext) -> Result<Template> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text, ctx).map_err(|e| anyhow!("{}: {e:#}", path.display()))
}

/// Parses a template's text, resolving it against `ctx`.
pub fn parse(yaml: &str, ctx: &LocalContext) -> Result<Template> {
    let root: Value = yaml_serde::from_str(yaml).context("the template is not valid YAML")?;
    let Value::Mapping(root) = root else {
        bail!("the template must be a YAML mapping");
    };
    Reader::new(&root, ctx)?.read()
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
