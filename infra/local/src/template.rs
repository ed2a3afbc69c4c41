//! Reads `template.yaml` (AWS SAM) into what the local runtime runs: the
//! functions (binary, environment, memory, timeout, event sources), the
//! DynamoDB tables, the SQS queues, and the HTTP API's routes and CORS
//! settings.
//!
//! CloudFormation intrinsics are resolved to local values, in their short
//! (`!Ref`, `!Sub`, …) and long (`Ref:`, `Fn::Sub:`, …) forms: `Ref`,
//! `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`
//! (with the template's `Conditions`: `Fn::Equals`, `Fn::Not`, `Fn::And`,
//! `Fn::Or`, `Condition`), `Fn::FindInMap`, `Fn::Base64` and `Fn::GetAZs`.
//! Parameters take their value from [`LocalContext::parameters`], else their
//! `Default`; pseudo parameters use the context's region and account and the
//! stack name `opsflow-local`. Tables resolve to their names, queues to their
//! URLs on moto, functions to their names, and `Fn::GetAtt … Arn` to local
//! ARNs. Resources whose `Condition` is false are left out, and
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
//! (log groups, alarms, topics, secrets, IAM, …) and settings that are not
//! emulated are listed in [`Template::warnings`].

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use serde_yaml::{Mapping, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::path::Path;

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

/// Resource types (or type prefixes) that have no local meaning.
const IGNORED_TYPES: [&str; 14] = [
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
    let root: Value = serde_yaml::from_str(yaml).context("the template is not valid YAML")?;
    let Value::Mapping(root) = root else {
        bail!("the template must be a YAML mapping");
    };
    Reader::new(&root, ctx)?.read()
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// The value of a parameter.
#[derive(Debug, Clone)]
enum ParamValue {
    Text(String),
    List(Vec<String>),
    /// No value; the reason, for the error raised when it is referenced.
    Missing(String),
}

struct Resource<'a> {
    kind: String,
    def: &'a Mapping,
    /// The `Condition` that left it out, if it is not created.
    skipped_by: Option<String>,
}

/// The intrinsic function a value calls, if any: its name without `Fn::`
/// and its argument.
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let name = name.strip_prefix("Fn::").unwrap_or(name);
            Some((name.to_owned(), &tagged.value))
        }
        Value::Mapping(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            let key = key.as_str()?;
            if key == "Ref" {
                Some(("Ref".to_owned(), arg))
            } else {
                key.strip_prefix("Fn::").map(|name| (name.to_owned(), arg))
            }
        }
        _ => None,
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// A resolved scalar as text (numbers and booleans as CloudFormation
/// passes them).
fn scalar_text(value: &Value, path: &str) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => bail!("{path}: expected a value, found nothing"),
        Value::Sequence(_) => bail!("{path}: expected a single value, found a list"),
        Value::Mapping(_) => bail!("{path}: expected a single value, found a mapping"),
        Value::Tagged(t) => bail!("{path}: unexpected tag {}", t.tag),
    }
}

fn values_equal(a: &Option<Value>, b: &Option<Value>) -> bool {
    match (a, b) {
        (Some(Value::Sequence(x)), Some(Value::Sequence(y))) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(x, y)| values_equal(&Some(x.clone()), &Some(y.clone())))
        }
        (Some(x), Some(y)) => match (scalar_text(x, ""), scalar_text(y, "")) {
            (Ok(x), Ok(y)) => x == y,
            _ => x == y,
        },
        (None, None) => true,
        _ => false,
    }
}

/// SAM's `Globals` merge: mappings merge key by key, anything else
/// (scalars, lists, intrinsic calls) is taken from the resource.
fn merge_globals(global: &Value, own: &Value) -> Value {
    match (global, own) {
        (Value::Mapping(g), Value::Mapping(o))
            if intrinsic(global).is_none() && intrinsic(own).is_none() =>
        {
            let mut merged = g.clone();
            for (key, value) in o {
                let value = match g.get(key) {
                    Some(global_value) => merge_globals(global_value, value),
                    None => value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Value::Mapping(merged)
        }
        _ => own.clone(),
    }
}

fn check_table_name(name: &str, path: &str) -> Result<()> {
    if name.len() < 3 || name.len() > 255 {
        bail!("{path}: table name {name:?} must be 3 to 255 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        bail!("{path}: table name {name:?} may only contain letters, digits, '_', '-' and '.'");
    }
    Ok(())
}

fn check_queue_name(name: &str, fifo: bool, path: &str) -> Result<()> {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if base.is_empty()
        || name.len() > 80
        || !base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        bail!("{path}: queue name {name:?} must be 1 to 80 letters, digits, '_' or '-'");
    }
    if fifo != name.ends_with(".fifo") {
        if fifo {
            bail!("{path}: the name of a FIFO queue must end in .fifo (got {name:?})");
        }
        bail!("{path}: queue {name:?} ends in .fifo but FifoQueue is not true");
    }
    Ok(())
}

/// Reports keys of `props` that are neither handled nor known to be
/// harmless: `refused` ones are errors, the rest warnings.
fn check_keys(
    props: &Mapping,
    path: &str,
    handled: &[&str],
    harmless: &[&str],
    refused: &[(&str, &str)],
    warnings: &mut Vec<String>,
) -> Result<()> {
    for key in props.keys() {
        let key = key_text(key);
        if let Some((_, why)) = refused.iter().find(|(k, _)| *k == key) {
            bail!("{path}.{key}: {why}");
        }
        if !handled.contains(&key.as_str()) && !harmless.contains(&key.as_str()) {
            warnings.push(format!("{path}.{key}: not applied locally"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------

struct Reader<'a> {
    ctx: &'a LocalContext,
    region: String,
    account: String,
    sqs_endpoint: String,
    params: BTreeMap<String, ParamValue>,
    mappings: Option<&'a Mapping>,
    conditions: BTreeMap<String, &'a Value>,
    condition_values: RefCell<BTreeMap<String, Option<bool>>>,
    /// In template order.
    order: Vec<String>,
    resources: BTreeMap<String, Resource<'a>>,
    names: RefCell<BTreeMap<String, Option<String>>>,
    globals_function: Option<&'a Value>,
    globals_http_api: Option<&'a Value>,
    warnings: RefCell<Vec<String>>,
    /// Route key → the event that declared it.
    route_owners: RefCell<BTreeMap<String, String>>,
    /// Each `HttpApi` event's place and the API it names (`None`: SAM's
    /// implicit API).
    api_uses: RefCell<Vec<(String, Option<String>)>>,
    /// Each DynamoDB event's place and table.
    stream_uses: RefCell<Vec<(String, String)>>,
}

impl<'a> Reader<'a> {
    fn new(root: &'a Mapping, ctx: &'a LocalContext) -> Result<Self> {
        let section = |name: &str| -> Result<Option<&'a Mapping>> {
            match root.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Mapping(m)) => Ok(Some(m)),
                Some(_) => bail!("{name}: expected a mapping"),
            }
        };
        let mut warnings = Vec::new();

        let mut params = BTreeMap::new();
        if let Some(parameters) = section("Parameters")? {
            for (name, def) in parameters {
                let name = key_text(name);
                let value = parameter_value(&name, def, ctx)?;
                params.insert(name, value);
            }
        }
        for name in ctx.parameters.keys() {
            if !params.contains_key(name) {
                warnings.push(format!(
                    "parameter {name} is not declared in the template; its local value is not used"
                ));
            }
        }

        let mut conditions = BTreeMap::new();
        if let Some(defs) = section("Conditions")? {
            for (name, def) in defs {
                conditions.insert(key_text(name), def);
            }
        }

        let Some(resource_defs) = section("Resources")? else {
            bail!("Resources: the template declares no resources");
        };
        let mut order = Vec::new();
        let mut resources = BTreeMap::new();
        for (id, def) in resource_defs {
            let id = key_text(id);
            let path = format!("Resources.{id}");
            let Value::Mapping(def) = def else {
                bail!("{path}: expected a mapping");
            };
            let kind = def
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{path}.Type: missing"))?
                .to_owned();
            let skipped_by = match def.get("Condition") {
                None => None,
                Some(Value::String(condition)) => Some(condition.clone()),
                Some(_) => bail!("{path}.Condition: expected a condition name"),
            };
            order.push(id.clone());
            resources.insert(
                id,
                Resource {
                    kind,
                    def,
                    skipped_by,
                },
            );
        }

        let globals = section("Globals")?;
        let reader = Reader {
            ctx,
            region: ctx.effective_region().to_owned(),
            account: ctx.effective_account_id().to_owned(),
            sqs_endpoint: ctx.effective_sqs_endpoint().to_owned(),
            params,
            mappings: section("Mappings")?,
            conditions,
            condition_values: RefCell::default(),
            order,
            resources,
            names: RefCell::default(),
            globals_function: globals.and_then(|g| g.get("Function")),
            globals_http_api: globals.and_then(|g| g.get("HttpApi")),
            warnings: RefCell::new(warnings),
            route_owners: RefCell::default(),
            api_uses: RefCell::default(),
            stream_uses: RefCell::default(),
        };
        // Which resources exist: a resource whose condition is true is
        // created (`skipped_by` cleared).
        let mut created = Vec::new();
        for id in &reader.order {
            if let Some(condition) = reader.resources.get(id).and_then(|r| r.skipped_by.clone()) {
                let path = format!("Resources.{id}.Condition");
                if reader.condition(&condition, &path)? {
                    created.push(id.clone());
                }
            }
        }
        let mut reader = reader;
        for id in created {
            if let Some(resource) = reader.resources.get_mut(&id) {
                resource.skipped_by = None;
            }
        }
        Ok(reader)
    }

    fn warn(&self, line: String) {
        self.warnings.borrow_mut().push(line);
    }

    fn read(self) -> Result<Template> {
        let mut functions = Vec::new();
        let mut tables = Vec::new();
        let mut queues = Vec::new();
        let mut http_apis = Vec::new();
        for id in &self.order {
            let Some(resource) = self.resources.get(id) else {
                continue;
            };
            if resource.skipped_by.is_some() {
                continue;
            }
            match resource.kind.as_str() {
                FUNCTION => functions.push(self.function(id, resource.def)?),
                TABLE => tables.push(self.table(id, resource.def)?),
                SIMPLE_TABLE => tables.push(self.simple_table(id, resource.def)?),
                QUEUE => queues.push(self.queue(id, resource.def)?),
                HTTP_API => http_apis.push(id.clone()),
                kind if IGNORED_TYPES.iter().any(|t| kind.starts_with(t)) => {
                    self.warn(format!("ignored locally: {id} ({kind})"));
                }
                kind => self.warn(format!("not supported locally, ignored: {id} ({kind})")),
            }
        }

        if http_apis.len() > 1 {
            bail!(
                "Resources: {} declare AWS::Serverless::HttpApi; only one HTTP API is supported locally",
                http_apis.join(", ")
            );
        }
        let api = http_apis.first();
        for (path, used) in self.api_uses.borrow().iter() {
            match (api, used) {
                (Some(api), Some(used)) if api == used => {}
                (Some(api), None) => bail!(
                    "{path}: this event has no ApiId, so SAM would attach it to an implicit HTTP API \
                     besides {api}; only one HTTP API is supported locally (set ApiId: !Ref {api})"
                ),
                (_, Some(used)) => bail!("{path}.ApiId: {used} is not an AWS::Serverless::HttpApi"),
                (None, None) => {}
            }
        }
        let cors = match api {
            Some(id) => self.http_api(id)?,
            None => match self
                .globals_http_api
                .and_then(|g| g.get("CorsConfiguration"))
            {
                Some(cors) if !self.api_uses.borrow().is_empty() => {
                    self.cors(cors, "Globals.HttpApi.CorsConfiguration")?
                }
                _ => None,
            },
        };

        for (path, table) in self.stream_uses.borrow().iter() {
            let has_stream = tables
                .iter()
                .any(|t: &TableDef| &t.logical_id == table && t.stream_view_type.is_some());
            if !has_stream {
                bail!("{path}.Stream: table {table} has no StreamSpecification");
            }
        }
        let mut seen = BTreeMap::new();
        for table in &tables {
            if let Some(other) = seen.insert(table.name.clone(), table.logical_id.clone()) {
                bail!(
                    "Resources.{}: table name {} is also used by {other}",
                    table.logical_id,
                    table.name
                );
            }
        }
        let mut seen = BTreeMap::new();
        for queue in &queues {
            if let Some(other) = seen.insert(queue.name.clone(), queue.logical_id.clone()) {
                bail!(
                    "Resources.{}: queue name {} is also used by {other}",
                    queue.logical_id,
                    queue.name
                );
            }
        }

        for function in &mut functions {
            for (key, value) in &self.ctx.environment_overrides {
                if key.starts_with("AWS_") || function.environment.contains_key(key) {
                    function.environment.insert(key.clone(), value.clone());
                }
            }
            for (key, value) in &function.environment {
                if value.contains("{{resolve:") {
                    self.warn(format!(
                        "{}: environment variable {key} holds a dynamic reference that cannot be \
                         resolved locally ({value}); give it a local value",
                        function.logical_id
                    ));
                }
            }
        }

        let routes = functions
            .iter()
            .flat_map(|f| f.events.iter())
            .filter_map(|e| match e {
                EventSource::Http(route) => Some(route.clone()),
                _ => None,
            })
            .collect();
        Ok(Template {
            functions,
            tables,
            queues,
            routes,
            cors,
            warnings: self.warnings.into_inner(),
        })
    }

    // -- intrinsic functions ------------------------------------------------

    /// Resolves every intrinsic in `value`; `None` is `AWS::NoValue`.
    fn resolve(&self, value: &Value, path: &str) -> Result<Option<Value>> {
        if let Some((name, arg)) = intrinsic(value) {
            return self.call(&name, arg, path);
        }
        Ok(Some(match value {
            Value::Mapping(map) => {
                let mut out = Mapping::new();
                for (key, item) in map {
                    let item_path = format!("{path}.{}", key_text(key));
                    if let Some(resolved) = self.resolve(item, &item_path)? {
                        out.insert(key.clone(), resolved);
                    }
                }
                Value::Mapping(out)
            }
            Value::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(resolved) = self.resolve(item, &format!("{path}[{i}]"))? {
                        out.push(resolved);
                    }
                }
                Value::Sequence(out)
            }
            other => other.clone(),
        }))
    }

    fn resolve_value(&self, value: &Value, path: &str) -> Result<Value> {
        self.resolve(value, path)?
            .ok_or_else(|| anyhow!("{path}: AWS::NoValue is not allowed here"))
    }

    fn resolve_text(&self, value: &Value, path: &str) -> Result<String> {
        scalar_text(&self.resolve_value(value, path)?, path)
    }

    fn resolve_list(&self, value: &Value, path: &str) -> Result<Vec<String>> {
        match self.resolve_value(value, path)? {
            Value::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| scalar_text(item, &format!("{path}[{i}]")))
                .collect(),
            _ => bail!("{path}: expected a list"),
        }
    }

    /// A property resolved to text; `None` when absent or `AWS::NoValue`.
    fn opt_text(&self, props: &Mapping, key: &str, path: &str) -> Result<Option<String>> {
        let path = format!("{path}.{key}");
        match props.get(key) {
            None => Ok(None),
            Some(value) => match self.resolve(value, &path)? {
                None | Some(Value::Null) => Ok(None),
                Some(value) => Ok(Some(scalar_text(&value, &path)?)),
            },
        }
    }

    fn opt_number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
        &self,
        props: &Mapping,
        key: &str,
        path: &str,
        range: RangeInclusive<T>,
    ) -> Result<Option<T>> {
        let Some(text) = self.opt_text(props, key, path)? else {
            return Ok(None);
        };
        match text.trim().parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => bail!(
                "{path}.{key}: expected a whole number from {} to {}, got {text:?}",
                range.start(),
                range.end()
            ),
        }
    }

    fn opt_bool(&self, props: &Mapping, key: &str, path: &str) -> Result<Option<bool>> {
        let Some(text) = self.opt_text(props, key, path)? else {
            return Ok(None);
        };
        match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => bail!("{path}.{key}: expected true or false, got {text:?}"),
        }
    }

    fn args<'v>(
        &self,
        name: &str,
        arg: &'v Value,
        count: RangeInclusive<usize>,
        path: &str,
    ) -> Result<&'v [Value]> {
        match arg {
            Value::Sequence(items) if count.contains(&items.len()) => Ok(items),
            _ if count.start() == count.end() => {
                bail!(
                    "{path}: Fn::{name} takes a list of {} arguments",
                    count.start()
                )
            }
            _ => bail!(
                "{path}: Fn::{name} takes a list of {} to {} arguments",
                count.start(),
                count.end()
            ),
        }
    }

    fn call(&self, name: &str, arg: &Value, path: &str) -> Result<Option<Value>> {
        match name {
            "Ref" => {
                let target = arg
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}: Ref takes a logical id or parameter name"))?;
                self.reference(target, path)
            }
            "GetAtt" => {
                let (id, attribute) = self.get_att_args(arg, path)?;
                Ok(Some(Value::String(self.get_att(&id, &attribute, path)?)))
            }
            "Sub" => Ok(Some(Value::String(self.sub(arg, path)?))),
            "Join" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let delimiter = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                let items = self.resolve_list(&a[1], &format!("{path}[1]"))?;
                Ok(Some(Value::String(items.join(&delimiter))))
            }
            "Select" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let index = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                let index: usize = index.trim().parse().map_err(|_| {
                    anyhow!("{path}[0]: Fn::Select index {index:?} is not a number")
                })?;
                match self.resolve_value(&a[1], &format!("{path}[1]"))? {
                    Value::Sequence(items) => items.get(index).cloned().map(Some).ok_or_else(|| {
                        anyhow!(
                            "{path}: Fn::Select index {index} is out of range (the list has {} items)",
                            items.len()
                        )
                    }),
                    _ => bail!("{path}[1]: Fn::Select needs a list"),
                }
            }
            "Split" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let delimiter = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                if delimiter.is_empty() {
                    bail!("{path}[0]: Fn::Split needs a non-empty delimiter");
                }
                let source = self.resolve_text(&a[1], &format!("{path}[1]"))?;
                Ok(Some(Value::Sequence(
                    source
                        .split(delimiter.as_str())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )))
            }
            "If" => {
                let a = self.args(name, arg, 3..=3, path)?;
                let condition = a[0]
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}[0]: Fn::If needs a condition name"))?;
                if self.condition(condition, path)? {
                    self.resolve(&a[1], &format!("{path}[1]"))
                } else {
                    self.resolve(&a[2], &format!("{path}[2]"))
                }
            }
            "Equals" | "Not" | "And" | "Or" | "Condition" => {
                Ok(Some(Value::Bool(self.condition_function(name, arg, path)?)))
            }
            "FindInMap" => {
                let a = self.args(name, arg, 3..=3, path)?;
                let map_name = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                let top = self.resolve_text(&a[1], &format!("{path}[1]"))?;
                let second = self.resolve_text(&a[2], &format!("{path}[2]"))?;
                let found = self
                    .mappings
                    .and_then(|m| m.get(map_name.as_str()))
                    .ok_or_else(|| anyhow!("{path}: no mapping {map_name} in Mappings"))?
                    .get(top.as_str())
                    .ok_or_else(|| anyhow!("{path}: Mappings.{map_name} has no key {top}"))?
                    .get(second.as_str())
                    .ok_or_else(|| {
                        anyhow!("{path}: Mappings.{map_name}.{top} has no key {second}")
                    })?;
                self.resolve(found, &format!("Mappings.{map_name}.{top}.{second}"))
            }
            "Base64" => {
                let text = self.resolve_text(arg, path)?;
                Ok(Some(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(text),
                )))
            }
            "GetAZs" => Ok(Some(Value::Sequence(
                ["a", "b", "c"]
                    .iter()
                    .map(|zone| Value::String(format!("{}{zone}", self.region)))
                    .collect(),
            ))),
            other => bail!("{path}: Fn::{other} is not supported locally"),
        }
    }

    fn reference(&self, target: &str, path: &str) -> Result<Option<Value>> {
        let text = |s: String| Ok(Some(Value::String(s)));
        match target {
            "AWS::Region" => return text(self.region.clone()),
            "AWS::AccountId" => return text(self.account.clone()),
            "AWS::StackName" => return text(STACK_NAME.to_owned()),
            "AWS::StackId" => {
                return text(format!(
                    "arn:aws:cloudformation:{}:{}:stack/{STACK_NAME}/local",
                    self.region, self.account
                ))
            }
            "AWS::Partition" => return text("aws".to_owned()),
            "AWS::URLSuffix" => return text("amazonaws.com".to_owned()),
            "AWS::NoValue" => return Ok(None),
            "AWS::NotificationARNs" => return Ok(Some(Value::Sequence(Vec::new()))),
            other if other.starts_with("AWS::") => {
                bail!("{path}: unknown pseudo parameter {other}")
            }
            _ => {}
        }
        if let Some(param) = self.params.get(target) {
            return match param {
                ParamValue::Text(value) => text(value.clone()),
                ParamValue::List(items) => Ok(Some(Value::Sequence(
                    items.iter().cloned().map(Value::String).collect(),
                ))),
                ParamValue::Missing(why) => bail!("{path}: parameter {target} {why}"),
            };
        }
        if self.resources.contains_key(target) {
            return text(self.resource_ref(target, path)?);
        }
        bail!("{path}: Ref to {target}, which is neither a parameter nor a resource")
    }

    /// The created resource `id`, or an error if it is unknown or left out.
    fn resource(&self, id: &str, path: &str) -> Result<&Resource<'a>> {
        let resource = self
            .resources
            .get(id)
            .ok_or_else(|| anyhow!("{path}: no resource {id} in the template"))?;
        if let Some(condition) = &resource.skipped_by {
            bail!(
                "{path}: refers to {id}, which is not created (its condition {condition} is false)"
            );
        }
        Ok(resource)
    }

    fn resource_ref(&self, id: &str, path: &str) -> Result<String> {
        let resource = self.resource(id, path)?;
        Ok(match resource.kind.as_str() {
            TABLE | SIMPLE_TABLE | FUNCTION => self.name_of(id, path)?,
            QUEUE => self.queue_url(&self.name_of(id, path)?),
            SECRET => self.secret_arn(&self.name_of(id, path)?),
            _ => format!("local-{id}"),
        })
    }

    fn queue_url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.sqs_endpoint, self.account)
    }

    fn secret_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:secretsmanager:{}:{}:secret:{name}",
            self.region, self.account
        )
    }

    fn table_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{name}",
            self.region, self.account
        )
    }

    fn get_att_args(&self, arg: &Value, path: &str) -> Result<(String, String)> {
        match arg {
            Value::String(s) => s
                .split_once('.')
                .map(|(id, attribute)| (id.to_owned(), attribute.to_owned()))
                .ok_or_else(|| anyhow!("{path}: Fn::GetAtt takes LogicalId.Attribute, got {s:?}")),
            Value::Sequence(items) if items.len() == 2 => {
                let id = items[0]
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}[0]: Fn::GetAtt needs a logical id"))?;
                let attribute = self.resolve_text(&items[1], &format!("{path}[1]"))?;
                Ok((id.to_owned(), attribute))
            }
            _ => bail!("{path}: Fn::GetAtt takes LogicalId.Attribute or [LogicalId, Attribute]"),
        }
    }

    fn get_att(&self, id: &str, attribute: &str, path: &str) -> Result<String> {
        let resource = self.resource(id, path)?;
        let kind = resource.kind.as_str();
        Ok(match (kind, attribute) {
            (TABLE | SIMPLE_TABLE, "Arn") => self.table_arn(&self.name_of(id, path)?),
            (TABLE, "StreamArn") => {
                format!("{}/stream/local", self.table_arn(&self.name_of(id, path)?))
            }
            (QUEUE, "Arn") => format!(
                "arn:aws:sqs:{}:{}:{}",
                self.region,
                self.account,
                self.name_of(id, path)?
            ),
            (QUEUE, "QueueName") => self.name_of(id, path)?,
            (QUEUE, "QueueUrl") => self.queue_url(&self.name_of(id, path)?),
            (FUNCTION, "Arn") => format!(
                "arn:aws:lambda:{}:{}:function:{}",
                self.region,
                self.account,
                self.name_of(id, path)?
            ),
            (SECRET, "Id") => self.secret_arn(&self.name_of(id, path)?),
            (TABLE | SIMPLE_TABLE | QUEUE | FUNCTION | SECRET, _) => {
                bail!("{path}: Fn::GetAtt {id}.{attribute}: {kind} has no attribute {attribute} locally")
            }
            (_, "Arn") => format!("arn:aws:local:{}:{}:{id}", self.region, self.account),
            _ => format!("local-{id}.{attribute}"),
        })
    }

    /// The physical name of a resource (resolving it once).
    fn name_of(&self, id: &str, path: &str) -> Result<String> {
        match self.names.borrow().get(id) {
            Some(Some(name)) => return Ok(name.clone()),
            Some(None) => bail!("{path}: the name of {id} refers to itself"),
            None => {}
        }
        self.names.borrow_mut().insert(id.to_owned(), None);
        let name = self.compute_name(id, path);
        match &name {
            Ok(name) => self
                .names
                .borrow_mut()
                .insert(id.to_owned(), Some(name.clone())),
            Err(_) => self.names.borrow_mut().remove(id),
        };
        name
    }

    fn compute_name(&self, id: &str, path: &str) -> Result<String> {
        let resource = self.resource(id, path)?;
        let empty = Mapping::new();
        let props = match resource.def.get("Properties") {
            Some(Value::Mapping(props)) => props,
            _ => &empty,
        };
        let pp = format!("Resources.{id}.Properties");
        let generated = format!("{STACK_NAME}-{id}");
        Ok(match resource.kind.as_str() {
            TABLE | SIMPLE_TABLE => self.opt_text(props, "TableName", &pp)?.unwrap_or(generated),
            QUEUE => match self.opt_text(props, "QueueName", &pp)? {
                Some(name) => name,
                None if self.opt_bool(props, "FifoQueue", &pp)? == Some(true) => {
                    format!("{generated}.fifo")
                }
                None => generated,
            },
            FUNCTION => self
                .opt_text(props, "FunctionName", &pp)?
                .unwrap_or_else(|| id.to_owned()),
            SECRET => self
                .opt_text(props, "Name", &pp)?
                .unwrap_or_else(|| id.to_owned()),
            _ => format!("local-{id}"),
        })
    }

    fn sub(&self, arg: &Value, path: &str) -> Result<String> {
        let mut variables = BTreeMap::new();
        let text = match arg {
            Value::String(text) => text.as_str(),
            Value::Sequence(items) if (1..=2).contains(&items.len()) => {
                if let Some(map) = items.get(1) {
                    let map = map
                        .as_mapping()
                        .ok_or_else(|| anyhow!("{path}[1]: Fn::Sub variables must be a mapping"))?;
                    for (key, value) in map {
                        let key = key_text(key);
                        let value = self.resolve_text(value, &format!("{path}[1].{key}"))?;
                        variables.insert(key, value);
                    }
                }
                items[0]
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}[0]: Fn::Sub needs a string"))?
            }
            _ => bail!("{path}: Fn::Sub takes a string or [string, {{variables}}]"),
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                out.push_str(&self.sub_variable(name.trim(), &variables, path)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn sub_variable(
        &self,
        name: &str,
        variables: &BTreeMap<String, String>,
        path: &str,
    ) -> Result<String> {
        if let Some(value) = variables.get(name) {
            return Ok(value.clone());
        }
        if !name.starts_with("AWS::") {
            if let Some((id, attribute)) = name.split_once('.') {
                return self.get_att(id, attribute, path);
            }
        }
        match self.reference(name, path)? {
            Some(Value::Sequence(_)) => {
                bail!("{path}: ${{{name}}} is a list; join it with Fn::Join first")
            }
            Some(value) => scalar_text(&value, path),
            None => bail!("{path}: ${{{name}}}: AWS::NoValue cannot be substituted"),
        }
    }

    // -- conditions ---------------------------------------------------------

    fn condition(&self, name: &str, path: &str) -> Result<bool> {
        match self.condition_values.borrow().get(name) {
            Some(Some(value)) => return Ok(*value),
            Some(None) => bail!("{path}: condition {name} refers to itself"),
            None => {}
        }
        let def = *self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("{path}: no condition {name} in Conditions"))?;
        self.condition_values
            .borrow_mut()
            .insert(name.to_owned(), None);
        let value = self.evaluate_condition(def, &format!("Conditions.{name}"));
        match &value {
            Ok(v) => self
                .condition_values
                .borrow_mut()
                .insert(name.to_owned(), Some(*v)),
            Err(_) => self.condition_values.borrow_mut().remove(name),
        };
        value
    }

    fn evaluate_condition(&self, value: &Value, path: &str) -> Result<bool> {
        let call = match value {
            Value::Mapping(map) if map.len() == 1 && map.contains_key("Condition") => map
                .get("Condition")
                .map(|arg| ("Condition".to_owned(), arg)),
            _ => intrinsic(value),
        };
        match (call, value) {
            (Some((name, arg)), _)
                if matches!(name.as_str(), "Equals" | "Not" | "And" | "Or" | "Condition") =>
            {
                self.condition_function(&name, arg, path)
            }
            (None, Value::Bool(b)) => Ok(*b),
            _ => bail!(
                "{path}: expected a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)"
            ),
        }
    }

    fn condition_function(&self, name: &str, arg: &Value, path: &str) -> Result<bool> {
        match name {
            "Condition" => {
                let condition = arg
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}: Condition takes a condition name"))?;
                self.condition(condition, path)
            }
            "Equals" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let left = self.resolve(&a[0], &format!("{path}[0]"))?;
                let right = self.resolve(&a[1], &format!("{path}[1]"))?;
                Ok(values_equal(&left, &right))
            }
            "Not" => {
                let a = self.args(name, arg, 1..=1, path)?;
                Ok(!self.evaluate_condition(&a[0], &format!("{path}[0]"))?)
            }
            "And" | "Or" => {
                let a = self.args(name, arg, 2..=10, path)?;
                let mut values = Vec::with_capacity(a.len());
                for (i, item) in a.iter().enumerate() {
                    values.push(self.evaluate_condition(item, &format!("{path}[{i}]"))?);
                }
                Ok(if name == "And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            other => bail!("{path}: Fn::{other} is not a condition function"),
        }
    }

    /// The logical id of the resource of one of `kinds` that `value`
    /// designates (`!GetAtt Id.<one of attributes>`, `!Ref Id`, or any
    /// expression resolving to such a value).
    fn target(
        &self,
        value: &Value,
        path: &str,
        kinds: &[&str],
        attributes: &[&str],
        what: &str,
    ) -> Result<String> {
        if let Some((name, arg)) = intrinsic(value) {
            let direct = match name.as_str() {
                "GetAtt" => Some(self.get_att_args(arg, path)?),
                "Ref" => arg.as_str().map(|id| (id.to_owned(), String::new())),
                _ => None,
            };
            if let Some((id, attribute)) = direct {
                if self.resources.contains_key(&id) {
                    let resource = self.resource(&id, path)?;
                    let attribute_ok =
                        attribute.is_empty() || attributes.contains(&attribute.as_str());
                    if kinds.contains(&resource.kind.as_str()) && attribute_ok {
                        return Ok(id);
                    }
                    let shown = if attribute.is_empty() {
                        format!("!Ref {id}")
                    } else {
                        format!("!GetAtt {id}.{attribute}")
                    };
                    bail!("{path}: expected {what}, got {shown} ({})", resource.kind);
                }
            }
        }
        let resolved = self.resolve_text(value, path)?;
        for id in &self.order {
            let Some(resource) = self.resources.get(id) else {
                continue;
            };
            if resource.skipped_by.is_some() || !kinds.contains(&resource.kind.as_str()) {
                continue;
            }
            if self.resource_ref(id, path)? == resolved {
                return Ok(id.clone());
            }
            for attribute in attributes {
                if self.get_att(id, attribute, path)? == resolved {
                    return Ok(id.clone());
                }
            }
        }
        bail!("{path}: expected {what}, got {resolved:?}, which is not one in this template")
    }

    // -- functions ------------------------------------------------------------

    fn function(&self, id: &str, def: &Mapping) -> Result<FunctionDef> {
        let base = format!("Resources.{id}");
        let pp = format!("{base}.Properties");
        let own = def
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| Value::Mapping(Mapping::new()));
        let merged = match self.globals_function {
            Some(global) => merge_globals(global, &own),
            None => own,
        };
        let Value::Mapping(props) = merged else {
            bail!("{pp}: expected a mapping");
        };

        let metadata = def.get("Metadata").and_then(Value::as_mapping);
        let build_method = match metadata.and_then(|m| m.get("BuildMethod")) {
            Some(value) => Some(self.resolve_text(value, &format!("{base}.Metadata.BuildMethod"))?),
            None => None,
        };
        if build_method.as_deref() != Some("rust-cargolambda") {
            bail!(
                "{base}.Metadata.BuildMethod: only rust-cargolambda functions run locally (found {})",
                build_method.as_deref().unwrap_or("none")
            );
        }
        let binary = match metadata
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
        {
            Some(value) => {
                self.resolve_text(value, &format!("{base}.Metadata.BuildProperties.Binary"))?
            }
            None => bail!(
                "{base}.Metadata.BuildProperties.Binary: {id} must name its cargo binary to run locally"
            ),
        };
        if binary.is_empty() || binary.contains(['/', '\\']) {
            bail!("{base}.Metadata.BuildProperties.Binary: {binary:?} is not a binary name");
        }
        if let Some(package_type) = self.opt_text(&props, "PackageType", &pp)? {
            if package_type != "Zip" {
                bail!("{pp}.PackageType: {package_type} functions are not supported locally");
            }
        }

        let mut environment = BTreeMap::new();
        if let Some(env) = props.get("Environment") {
            let env_path = format!("{pp}.Environment");
            match self.resolve(env, &env_path)? {
                None | Some(Value::Null) => {}
                Some(Value::Mapping(env)) => match env.get("Variables") {
                    None | Some(Value::Null) => {}
                    Some(Value::Mapping(vars)) => {
                        for (key, value) in vars {
                            let key = key_text(key);
                            let value = scalar_text(value, &format!("{env_path}.Variables.{key}"))?;
                            environment.insert(key, value);
                        }
                    }
                    Some(_) => bail!("{env_path}.Variables: expected a mapping"),
                },
                Some(_) => bail!("{env_path}: expected a mapping"),
            }
        }

        let architecture = match props.get("Architectures") {
            None => "x86_64".to_owned(),
            Some(value) => {
                let path = format!("{pp}.Architectures");
                let list = self.resolve_list(value, &path)?;
                match list.as_slice() {
                    [one] if one == "x86_64" || one == "arm64" => one.clone(),
                    _ => bail!("{path}: expected [x86_64] or [arm64], got {list:?}"),
                }
            }
        };

        let mut events = Vec::new();
        match props.get("Events") {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(defs)) => {
                for (name, event) in defs {
                    let name = key_text(name);
                    events.push(self.event(id, &name, event, &format!("{pp}.Events.{name}"))?);
                }
            }
            Some(_) => bail!("{pp}.Events: expected a mapping"),
        }

        Ok(FunctionDef {
            logical_id: id.to_owned(),
            function_name: self.name_of(id, &pp)?,
            binary,
            environment,
            memory_mb: self
                .opt_number(&props, "MemorySize", &pp, 128..=10240)?
                .unwrap_or(128),
            timeout_secs: self
                .opt_number(&props, "Timeout", &pp, 1..=900)?
                .unwrap_or(3),
            architecture,
            events,
        })
    }

    fn event(&self, function: &str, name: &str, event: &Value, path: &str) -> Result<EventSource> {
        let Value::Mapping(event) = event else {
            bail!("{path}: expected a mapping");
        };
        let kind = match event.get("Type") {
            Some(value) => self.resolve_text(value, &format!("{path}.Type"))?,
            None => bail!("{path}.Type: missing"),
        };
        let empty = Mapping::new();
        let props = match event.get("Properties") {
            None | Some(Value::Null) => &empty,
            Some(Value::Mapping(props)) => props,
            Some(_) => bail!("{path}.Properties: expected a mapping"),
        };
        let pp = format!("{path}.Properties");
        let mut warnings = Vec::new();
        let source = match kind.as_str() {
            "HttpApi" => {
                check_keys(
                    props,
                    &pp,
                    &["ApiId", "Path", "Method", "PayloadFormatVersion"],
                    &["TimeoutInMillis", "RouteSettings"],
                    &[],
                    &mut warnings,
                )?;
                EventSource::Http(self.http_event(function, props, path, &pp)?)
            }
            "SQS" => {
                check_keys(
                    props,
                    &pp,
                    &[
                        "Queue",
                        "BatchSize",
                        "MaximumBatchingWindowInSeconds",
                        "FunctionResponseTypes",
                        "Enabled",
                    ],
                    &["KmsKeyArn", "MetricsConfig"],
                    &[(
                        "FilterCriteria",
                        "filters on SQS events are not supported locally",
                    )],
                    &mut warnings,
                )?;
                EventSource::Sqs(SqsSource {
                    function: function.to_owned(),
                    queue: match props.get("Queue") {
                        Some(queue) => self.target(
                            queue,
                            &format!("{pp}.Queue"),
                            &[QUEUE],
                            &["Arn"],
                            "a queue (!GetAtt Queue.Arn)",
                        )?,
                        None => bail!("{pp}.Queue: missing"),
                    },
                    batch_size: self
                        .opt_number(props, "BatchSize", &pp, 1..=10_000)?
                        .unwrap_or(10),
                    batching_window_secs: self
                        .opt_number(props, "MaximumBatchingWindowInSeconds", &pp, 0..=300)?
                        .unwrap_or(0),
                    report_batch_item_failures: self.report_failures(props, &pp)?,
                    enabled: self.opt_bool(props, "Enabled", &pp)?.unwrap_or(true),
                })
            }
            "DynamoDB" => {
                check_keys(
                    props,
                    &pp,
                    &[
                        "Stream",
                        "StartingPosition",
                        "BatchSize",
                        "FilterCriteria",
                        "FunctionResponseTypes",
                        "MaximumRetryAttempts",
                        "Enabled",
                    ],
                    &["KmsKeyArn", "MetricsConfig"],
                    &[(
                        "TumblingWindowInSeconds",
                        "tumbling windows are not supported locally",
                    )],
                    &mut warnings,
                )?;
                let table = match props.get("Stream") {
                    Some(stream) => self.target(
                        stream,
                        &format!("{pp}.Stream"),
                        &[TABLE],
                        &["StreamArn"],
                        "a table stream (!GetAtt Table.StreamArn)",
                    )?,
                    None => bail!("{pp}.Stream: missing"),
                };
                self.stream_uses
                    .borrow_mut()
                    .push((pp.clone(), table.clone()));
                let starting_position = self
                    .opt_text(props, "StartingPosition", &pp)?
                    .ok_or_else(|| anyhow!("{pp}.StartingPosition: missing"))?;
                if !matches!(starting_position.as_str(), "TRIM_HORIZON" | "LATEST") {
                    bail!(
                        "{pp}.StartingPosition: expected TRIM_HORIZON or LATEST, got {starting_position}"
                    );
                }
                EventSource::Stream(StreamSource {
                    function: function.to_owned(),
                    table,
                    batch_size: self
                        .opt_number(props, "BatchSize", &pp, 1..=10_000)?
                        .unwrap_or(100),
                    starting_position,
                    filter_patterns: self.filter_patterns(props, &pp)?,
                    report_batch_item_failures: self.report_failures(props, &pp)?,
                    maximum_retry_attempts: self
                        .opt_number(props, "MaximumRetryAttempts", &pp, -1..=10_000)?
                        .unwrap_or(-1),
                    enabled: self.opt_bool(props, "Enabled", &pp)?.unwrap_or(true),
                })
            }
            "Schedule" | "ScheduleV2" => {
                let v2 = kind == "ScheduleV2";
                let expression_key = if v2 { "ScheduleExpression" } else { "Schedule" };
                check_keys(
                    props,
                    &pp,
                    &[
                        expression_key,
                        "Input",
                        "Enabled",
                        "State",
                        "ScheduleExpressionTimezone",
                    ],
                    &[
                        "Name",
                        "Description",
                        "FlexibleTimeWindow",
                        "GroupName",
                        "RoleArn",
                    ],
                    &[],
                    &mut warnings,
                )?;
                let expression = self
                    .opt_text(props, expression_key, &pp)?
                    .ok_or_else(|| anyhow!("{pp}.{expression_key}: missing"))?;
                if !(expression.starts_with("rate(") || expression.starts_with("cron(")) {
                    bail!("{pp}.{expression_key}: only rate(…) and cron(…) schedules run locally, got {expression}");
                }
                if let Some(zone) = self.opt_text(props, "ScheduleExpressionTimezone", &pp)? {
                    if zone != "UTC" && zone != "Etc/UTC" {
                        bail!("{pp}.ScheduleExpressionTimezone: only UTC schedules run locally, got {zone}");
                    }
                }
                let state = self.opt_text(props, "State", &pp)?;
                let enabled = match (&state, self.opt_bool(props, "Enabled", &pp)?) {
                    (Some(state), _) => match state.as_str() {
                        "ENABLED" => true,
                        "DISABLED" => false,
                        other => bail!("{pp}.State: expected ENABLED or DISABLED, got {other}"),
                    },
                    (None, enabled) => enabled.unwrap_or(true),
                };
                EventSource::Schedule(ScheduleSource {
                    function: function.to_owned(),
                    name: name.to_owned(),
                    expression,
                    input: self.opt_text(props, "Input", &pp)?,
                    enabled,
                })
            }
            other => bail!("{path}: unsupported event type {other}"),
        };
        for warning in warnings {
            self.warn(warning);
        }
        Ok(source)
    }

    fn http_event(
        &self,
        function: &str,
        props: &Mapping,
        path: &str,
        pp: &str,
    ) -> Result<HttpRoute> {
        let api = match props.get("ApiId") {
            None => None,
            Some(value) => match intrinsic(value) {
                Some((name, Value::String(id))) if name == "Ref" => {
                    self.resource(id, &format!("{pp}.ApiId"))?;
                    Some(id.clone())
                }
                _ => bail!("{pp}.ApiId: expected !Ref to the AWS::Serverless::HttpApi"),
            },
        };
        self.api_uses.borrow_mut().push((pp.to_owned(), api));
        if let Some(version) = self.opt_text(props, "PayloadFormatVersion", pp)? {
            if version != "2.0" {
                bail!("{pp}.PayloadFormatVersion: only payload format 2.0 is served locally, got {version}");
            }
        }
        let path_value = self.opt_text(props, "Path", pp)?;
        let method = self.opt_text(props, "Method", pp)?;
        let (method, route_path) = match (method, path_value) {
            (None, None) => ("ANY".to_owned(), "$default".to_owned()),
            (_, None) => bail!("{pp}.Path: missing (an event with a Method needs a Path)"),
            (method, Some(route_path)) => {
                if !route_path.starts_with('/') {
                    bail!("{pp}.Path: must start with '/', got {route_path:?}");
                }
                let method = method
                    .unwrap_or_else(|| "ANY".to_owned())
                    .to_ascii_uppercase();
                let method = if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
                    "ANY".to_owned()
                } else {
                    method
                };
                if !matches!(
                    method.as_str(),
                    "ANY" | "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
                ) {
                    bail!("{pp}.Method: unknown HTTP method {method}");
                }
                (method, route_path)
            }
        };
        let route = HttpRoute {
            method,
            path: route_path,
            function: function.to_owned(),
        };
        if let Some(other) = self
            .route_owners
            .borrow_mut()
            .insert(route.route_key(), path.to_owned())
        {
            bail!(
                "{path}: route {} is also declared by {other}",
                route.route_key()
            );
        }
        Ok(route)
    }

    fn report_failures(&self, props: &Mapping, pp: &str) -> Result<bool> {
        let Some(value) = props.get("FunctionResponseTypes") else {
            return Ok(false);
        };
        let path = format!("{pp}.FunctionResponseTypes");
        let types = self.resolve_list(value, &path)?;
        for kind in &types {
            if kind != "ReportBatchItemFailures" {
                bail!("{path}: unknown response type {kind}");
            }
        }
        Ok(!types.is_empty())
    }

    fn filter_patterns(&self, props: &Mapping, pp: &str) -> Result<Vec<serde_json::Value>> {
        let Some(criteria) = props.get("FilterCriteria") else {
            return Ok(Vec::new());
        };
        let path = format!("{pp}.FilterCriteria");
        let criteria = self.resolve_value(criteria, &path)?;
        let filters = match criteria.get("Filters") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Sequence(filters)) => filters,
            Some(_) => bail!("{path}.Filters: expected a list"),
        };
        let mut patterns = Vec::with_capacity(filters.len());
        for (i, filter) in filters.iter().enumerate() {
            let pattern_path = format!("{path}.Filters[{i}].Pattern");
            let pattern = match filter.get("Pattern") {
                Some(Value::String(text)) => serde_json::from_str(text)
                    .map_err(|e| anyhow!("{pattern_path}: invalid JSON: {e}"))?,
                Some(value @ Value::Mapping(_)) => {
                    serde_json::to_value(value).map_err(|e| anyhow!("{pattern_path}: {e}"))?
                }
                _ => bail!("{pattern_path}: expected a JSON filter pattern"),
            };
            if !pattern.is_object() {
                bail!("{pattern_path}: a filter pattern must be a JSON object");
            }
            patterns.push(pattern);
        }
        Ok(patterns)
    }

    // -- tables, queues, the HTTP API ----------------------------------------

    fn properties<'m>(&self, def: &'m Mapping, path: &str) -> Result<&'m Mapping> {
        static EMPTY: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
        match def.get("Properties") {
            None | Some(Value::Null) => Ok(EMPTY.get_or_init(Mapping::new)),
            Some(Value::Mapping(props)) => Ok(props),
            Some(_) => bail!("{path}: expected a mapping"),
        }
    }

    fn table(&self, id: &str, def: &Mapping) -> Result<TableDef> {
        let pp = format!("Resources.{id}.Properties");
        let props = self.properties(def, &pp)?;
        let mut warnings = Vec::new();
        check_keys(
            props,
            &pp,
            &[
                "TableName",
                "AttributeDefinitions",
                "KeySchema",
                "GlobalSecondaryIndexes",
                "StreamSpecification",
                "TimeToLiveSpecification",
            ],
            &[
                "BillingMode",
                "ProvisionedThroughput",
                "PointInTimeRecoverySpecification",
                "SSESpecification",
                "Tags",
                "DeletionProtectionEnabled",
                "TableClass",
                "ContributorInsightsSpecification",
                "OnDemandThroughput",
                "WarmThroughput",
                "ResourcePolicy",
            ],
            &[(
                "LocalSecondaryIndexes",
                "local secondary indexes are not supported locally",
            )],
            &mut warnings,
        )?;
        let name = self.name_of(id, &pp)?;
        check_table_name(&name, &format!("{pp}.TableName"))?;

        let mut attributes = BTreeMap::new();
        let attr_path = format!("{pp}.AttributeDefinitions");
        let defs = match props.get("AttributeDefinitions") {
            Some(value) => self.resolve_value(value, &attr_path)?,
            None => bail!("{attr_path}: missing"),
        };
        let Value::Sequence(defs) = defs else {
            bail!("{attr_path}: expected a list");
        };
        for (i, def) in defs.iter().enumerate() {
            let path = format!("{attr_path}[{i}]");
            let field = |key: &str| -> Result<String> {
                def.get(key)
                    .ok_or_else(|| anyhow!("{path}.{key}: missing"))
                    .and_then(|v| scalar_text(v, &format!("{path}.{key}")))
            };
            let attribute = field("AttributeName")?;
            let kind = field("AttributeType")?;
            if !matches!(kind.as_str(), "S" | "N" | "B") {
                bail!("{path}.AttributeType: expected S, N or B, got {kind}");
            }
            if attributes.insert(attribute.clone(), kind).is_some() {
                bail!("{path}: attribute {attribute} is defined twice");
            }
        }

        let (hash_key, range_key) = match props.get("KeySchema") {
            Some(value) => self.key_schema(value, &format!("{pp}.KeySchema"))?,
            None => bail!("{pp}.KeySchema: missing"),
        };
        let mut global_indexes = Vec::new();
        if let Some(value) = props.get("GlobalSecondaryIndexes") {
            let gsi_path = format!("{pp}.GlobalSecondaryIndexes");
            let Value::Sequence(indexes) = self.resolve_value(value, &gsi_path)? else {
                bail!("{gsi_path}: expected a list");
            };
            for (i, index) in indexes.iter().enumerate() {
                global_indexes.push(self.index(index, &format!("{gsi_path}[{i}]"))?);
            }
        }

        let mut used = BTreeSet::new();
        let keys = std::iter::once((&hash_key, &range_key, format!("{pp}.KeySchema"))).chain(
            global_indexes.iter().enumerate().map(|(i, index)| {
                (
                    &index.hash_key,
                    &index.range_key,
                    format!("{pp}.GlobalSecondaryIndexes[{i}].KeySchema"),
                )
            }),
        );
        for (hash, range, path) in keys {
            for key in std::iter::once(hash).chain(range.iter()) {
                if !attributes.contains_key(key) {
                    bail!("{path}: key attribute {key} is not in AttributeDefinitions");
                }
                used.insert(key.clone());
            }
        }
        if let Some(unused) = attributes.keys().find(|a| !used.contains(*a)) {
            bail!("{attr_path}: attribute {unused} is not a key of the table or of an index (DynamoDB refuses that)");
        }
        let mut index_names = BTreeSet::new();
        for index in &global_indexes {
            if !index_names.insert(index.name.clone()) {
                bail!(
                    "{pp}.GlobalSecondaryIndexes: index {} is declared twice",
                    index.name
                );
            }
        }

        let stream_view_type = match props.get("StreamSpecification") {
            None => None,
            Some(value) => {
                let path = format!("{pp}.StreamSpecification");
                match self.resolve(value, &path)? {
                    None | Some(Value::Null) => None,
                    Some(Value::Mapping(spec)) => {
                        let view = spec
                            .get("StreamViewType")
                            .ok_or_else(|| anyhow!("{path}.StreamViewType: missing"))
                            .and_then(|v| scalar_text(v, &format!("{path}.StreamViewType")))?;
                        if !matches!(
                            view.as_str(),
                            "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES" | "KEYS_ONLY"
                        ) {
                            bail!("{path}.StreamViewType: unknown view type {view}");
                        }
                        Some(view)
                    }
                    Some(_) => bail!("{path}: expected a mapping"),
                }
            }
        };

        let ttl_attribute = match props.get("TimeToLiveSpecification") {
            None => None,
            Some(value) => {
                let path = format!("{pp}.TimeToLiveSpecification");
                match self.resolve(value, &path)? {
                    None | Some(Value::Null) => None,
                    Some(Value::Mapping(spec)) => {
                        let enabled = self.opt_bool(&spec, "Enabled", &path)?.unwrap_or(false);
                        let attribute = self.opt_text(&spec, "AttributeName", &path)?;
                        match (enabled, attribute) {
                            (false, _) => None,
                            (true, Some(attribute)) => Some(attribute),
                            (true, None) => bail!("{path}.AttributeName: missing"),
                        }
                    }
                    Some(_) => bail!("{path}: expected a mapping"),
                }
            }
        };

        for warning in warnings {
            self.warn(warning);
        }
        Ok(TableDef {
            logical_id: id.to_owned(),
            name,
            attributes,
            hash_key,
            range_key,
            global_indexes,
            stream_view_type,
            ttl_attribute,
        })
    }

    /// `(hash, range)` of an already resolved or raw key schema.
    fn key_schema(&self, value: &Value, path: &str) -> Result<(String, Option<String>)> {
        let Value::Sequence(keys) = self.resolve_value(value, path)? else {
            bail!("{path}: expected a list");
        };
        let mut hash = None;
        let mut range = None;
        for (i, key) in keys.iter().enumerate() {
            let key_path = format!("{path}[{i}]");
            let field = |name: &str| -> Result<String> {
                key.get(name)
                    .ok_or_else(|| anyhow!("{key_path}.{name}: missing"))
                    .and_then(|v| scalar_text(v, &format!("{key_path}.{name}")))
            };
            let attribute = field("AttributeName")?;
            let slot = match field("KeyType")?.as_str() {
                "HASH" => &mut hash,
                "RANGE" => &mut range,
                other => bail!("{key_path}.KeyType: expected HASH or RANGE, got {other}"),
            };
            if slot.replace(attribute).is_some() {
                bail!("{path}: more than one key of the same KeyType");
            }
        }
        let hash = hash.ok_or_else(|| anyhow!("{path}: no HASH key"))?;
        Ok((hash, range))
    }

    fn index(&self, index: &Value, path: &str) -> Result<IndexDef> {
        let name = index
            .get("IndexName")
            .ok_or_else(|| anyhow!("{path}.IndexName: missing"))
            .and_then(|v| scalar_text(v, &format!("{path}.IndexName")))?;
        let (hash_key, range_key) = match index.get("KeySchema") {
            Some(value) => self.key_schema(value, &format!("{path}.KeySchema"))?,
            None => bail!("{path}.KeySchema: missing"),
        };
        let projection_path = format!("{path}.Projection");
        let projection = index.get("Projection");
        let projection_type = match projection.and_then(|p| p.get("ProjectionType")) {
            Some(value) => scalar_text(value, &format!("{projection_path}.ProjectionType"))?,
            None => "ALL".to_owned(),
        };
        if !matches!(projection_type.as_str(), "ALL" | "KEYS_ONLY" | "INCLUDE") {
            bail!("{projection_path}.ProjectionType: expected ALL, KEYS_ONLY or INCLUDE, got {projection_type}");
        }
        let non_key_attributes = match projection.and_then(|p| p.get("NonKeyAttributes")) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    scalar_text(item, &format!("{projection_path}.NonKeyAttributes[{i}]"))
                })
                .collect::<Result<_>>()?,
            Some(_) => bail!("{projection_path}.NonKeyAttributes: expected a list"),
        };
        match (projection_type.as_str(), non_key_attributes.is_empty()) {
            ("INCLUDE", true) => {
                bail!("{projection_path}.NonKeyAttributes: required with ProjectionType INCLUDE")
            }
            ("ALL" | "KEYS_ONLY", false) => bail!(
                "{projection_path}.NonKeyAttributes: only allowed with ProjectionType INCLUDE"
            ),
            _ => {}
        }
        Ok(IndexDef {
            name,
            hash_key,
            range_key,
            projection: projection_type,
            non_key_attributes,
        })
    }

    fn simple_table(&self, id: &str, def: &Mapping) -> Result<TableDef> {
        let pp = format!("Resources.{id}.Properties");
        let props = self.properties(def, &pp)?;
        let name = self.name_of(id, &pp)?;
        check_table_name(&name, &format!("{pp}.TableName"))?;
        let (key, kind) = match props.get("PrimaryKey") {
            None => ("id".to_owned(), "String".to_owned()),
            Some(value) => {
                let path = format!("{pp}.PrimaryKey");
                let Value::Mapping(key) = self.resolve_value(value, &path)? else {
                    bail!("{path}: expected a mapping");
                };
                (
                    self.opt_text(&key, "Name", &path)?
                        .ok_or_else(|| anyhow!("{path}.Name: missing"))?,
                    self.opt_text(&key, "Type", &path)?
                        .ok_or_else(|| anyhow!("{path}.Type: missing"))?,
                )
            }
        };
        let kind = match kind.as_str() {
            "String" => "S",
            "Number" => "N",
            "Binary" => "B",
            other => bail!("{pp}.PrimaryKey.Type: expected String, Number or Binary, got {other}"),
        };
        Ok(TableDef {
            logical_id: id.to_owned(),
            name,
            attributes: [(key.clone(), kind.to_owned())].into_iter().collect(),
            hash_key: key,
            range_key: None,
            global_indexes: Vec::new(),
            stream_view_type: None,
            ttl_attribute: None,
        })
    }

    fn queue(&self, id: &str, def: &Mapping) -> Result<QueueDef> {
        let pp = format!("Resources.{id}.Properties");
        let props = self.properties(def, &pp)?;
        let mut warnings = Vec::new();
        check_keys(
            props,
            &pp,
            &[
                "QueueName",
                "FifoQueue",
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "RedrivePolicy",
            ],
            &[
                "KmsMasterKeyId",
                "KmsDataKeyReusePeriodSeconds",
                "SqsManagedSseEnabled",
                "Tags",
                "ReceiveMessageWaitTimeSeconds",
                "MaximumMessageSize",
            ],
            &[],
            &mut warnings,
        )?;
        let fifo = self.opt_bool(props, "FifoQueue", &pp)?.unwrap_or(false);
        let name = self.name_of(id, &pp)?;
        check_queue_name(&name, fifo, &format!("{pp}.QueueName"))?;
        let redrive = match props.get("RedrivePolicy") {
            None => None,
            Some(value) => self.redrive(value, &format!("{pp}.RedrivePolicy"))?,
        };
        if redrive.as_ref().is_some_and(|r| r.dead_letter_queue == id) {
            bail!("{pp}.RedrivePolicy: a queue cannot be its own dead-letter queue");
        }
        for warning in warnings {
            self.warn(warning);
        }
        Ok(QueueDef {
            logical_id: id.to_owned(),
            name,
            fifo,
            visibility_timeout_secs: self
                .opt_number(props, "VisibilityTimeout", &pp, 0..=43_200)?
                .unwrap_or(30),
            message_retention_secs: self.opt_number(
                props,
                "MessageRetentionPeriod",
                &pp,
                60..=1_209_600,
            )?,
            redrive,
        })
    }

    fn redrive(&self, value: &Value, path: &str) -> Result<Option<Redrive>> {
        let what = "a dead-letter queue (!GetAtt Queue.Arn)";
        // The usual form: a mapping whose target is `!GetAtt Dlq.Arn`.
        if let (Value::Mapping(policy), None) = (value, intrinsic(value)) {
            let target = policy
                .get("deadLetterTargetArn")
                .ok_or_else(|| anyhow!("{path}.deadLetterTargetArn: missing"))?;
            let dead_letter_queue = self.target(
                target,
                &format!("{path}.deadLetterTargetArn"),
                &[QUEUE],
                &["Arn"],
                what,
            )?;
            let max_receive_count = self
                .opt_number(policy, "maxReceiveCount", path, 1..=1000)?
                .ok_or_else(|| anyhow!("{path}.maxReceiveCount: missing"))?;
            return Ok(Some(Redrive {
                dead_letter_queue,
                max_receive_count,
            }));
        }
        // Anything else: resolved, possibly to a JSON text.
        let policy = match self.resolve(value, path)? {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(text)) => serde_json::from_str::<Value>(&text)
                .map_err(|e| anyhow!("{path}: invalid JSON: {e}"))?,
            Some(other) => other,
        };
        let Value::Mapping(policy) = policy else {
            bail!("{path}: expected a mapping");
        };
        let target = policy
            .get("deadLetterTargetArn")
            .ok_or_else(|| anyhow!("{path}.deadLetterTargetArn: missing"))?;
        let dead_letter_queue = self.target(
            target,
            &format!("{path}.deadLetterTargetArn"),
            &[QUEUE],
            &["Arn"],
            what,
        )?;
        let max_receive_count = self
            .opt_number(&policy, "maxReceiveCount", path, 1..=1000)?
            .ok_or_else(|| anyhow!("{path}.maxReceiveCount: missing"))?;
        Ok(Some(Redrive {
            dead_letter_queue,
            max_receive_count,
        }))
    }

    fn http_api(&self, id: &str) -> Result<Option<CorsConfig>> {
        let pp = format!("Resources.{id}.Properties");
        let resource = self.resource(id, &pp)?;
        let own = resource
            .def
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| Value::Mapping(Mapping::new()));
        let merged = match self.globals_http_api {
            Some(global) => merge_globals(global, &own),
            None => own,
        };
        let Value::Mapping(props) = merged else {
            bail!("{pp}: expected a mapping");
        };
        for key in ["DefinitionBody", "DefinitionUri"] {
            if props.contains_key(key) {
                bail!("{pp}.{key}: OpenAPI definitions are not supported locally; declare routes as HttpApi events");
            }
        }
        if props.contains_key("Auth") {
            self.warn(format!(
                "{pp}.Auth: authorizers are not enforced locally; every route is open"
            ));
        }
        if let Some(stage) = self.opt_text(&props, "StageName", &pp)? {
            if stage != "$default" {
                self.warn(format!(
                    "{pp}.StageName: routes are served at the root locally, not under /{stage}"
                ));
            }
        }
        match props.get("CorsConfiguration") {
            Some(cors) => self.cors(cors, &format!("{pp}.CorsConfiguration")),
            None => Ok(None),
        }
    }

    fn cors(&self, value: &Value, path: &str) -> Result<Option<CorsConfig>> {
        let map = match self.resolve(value, path)? {
            None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
            Some(Value::Bool(true)) => {
                return Ok(Some(CorsConfig {
                    allow_origins: vec!["*".to_owned()],
                    ..CorsConfig::default()
                }))
            }
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => {
                return Ok(Some(CorsConfig {
                    allow_origins: vec!["*".to_owned()],
                    ..CorsConfig::default()
                }))
            }
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => return Ok(None),
            Some(Value::Mapping(map)) => map,
            Some(_) => bail!("{path}: expected true, false or a mapping"),
        };
        let list = |key: &str| -> Result<Vec<String>> {
            let item_path = format!("{path}.{key}");
            match map.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                // A single text (e.g. a comma-delimited parameter joined).
                Some(Value::String(text)) => Ok(text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()),
                Some(Value::Sequence(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| scalar_text(item, &format!("{item_path}[{i}]")))
                    .collect(),
                Some(_) => bail!("{item_path}: expected a list"),
            }
        };
        let mut warnings = Vec::new();
        check_keys(
            &map,
            path,
            &[
                "AllowOrigins",
                "AllowHeaders",
                "AllowMethods",
                "ExposeHeaders",
                "MaxAge",
                "AllowCredentials",
            ],
            &[],
            &[],
            &mut warnings,
        )?;
        for warning in warnings {
            self.warn(warning);
        }
        Ok(Some(CorsConfig {
            allow_origins: list("AllowOrigins")?,
            allow_headers: list("AllowHeaders")?,
            allow_methods: list("AllowMethods")?,
            expose_headers: list("ExposeHeaders")?,
            max_age: self.opt_number(&map, "MaxAge", path, 0..=86_400)?,
            allow_credentials: self
                .opt_bool(&map, "AllowCredentials", path)?
                .unwrap_or(false),
        }))
    }
}

/// A parameter's local value: the context's override, else its `Default`.
fn parameter_value(name: &str, def: &Value, ctx: &LocalContext) -> Result<ParamValue> {
    let path = format!("Parameters.{name}");
    let Value::Mapping(def) = def else {
        bail!("{path}: expected a mapping");
    };
    let kind = match def.get("Type") {
        Some(value) => scalar_text(value, &format!("{path}.Type"))?,
        None => bail!("{path}.Type: missing"),
    };
    let overridden = ctx.parameters.get(name).cloned();
    if overridden.is_none() && kind.starts_with("AWS::SSM::Parameter::Value<") {
        return Ok(ParamValue::Missing(
            "is read from SSM Parameter Store, which is not available locally; give it a local value"
                .to_owned(),
        ));
    }
    let list_type = kind == "CommaDelimitedList"
        || kind.starts_with("List<")
        || kind.starts_with("AWS::SSM::Parameter::Value<List<")
        || kind.starts_with("AWS::SSM::Parameter::Value<CommaDelimitedList");
    let value = match (overridden, def.get("Default")) {
        (Some(value), _) => value,
        (None, None) => {
            return Ok(ParamValue::Missing(
                "has no Default and no local value".to_owned(),
            ))
        }
        (None, Some(Value::Sequence(items))) if list_type => {
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| scalar_text(item, &format!("{path}.Default[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            items.join(",")
        }
        (None, Some(default)) => scalar_text(default, &format!("{path}.Default"))?,
    };
    let allowed = match def.get("AllowedValues") {
        Some(Value::Sequence(items)) => Some(
            items
                .iter()
                .map(|item| scalar_text(item, &format!("{path}.AllowedValues")))
                .collect::<Result<Vec<_>>>()?,
        ),
        _ => None,
    };
    let check = |value: &str| -> Result<()> {
        match &allowed {
            Some(allowed) if !allowed.iter().any(|a| a == value) => bail!(
                "{path}: {value:?} is not one of the AllowedValues {}",
                allowed.join(", ")
            ),
            _ => Ok(()),
        }
    };
    if list_type {
        let items: Vec<String> = if value.trim().is_empty() {
            Vec::new()
        } else {
            value.split(',').map(|s| s.trim().to_owned()).collect()
        };
        for item in &items {
            check(item)?;
        }
        Ok(ParamValue::List(items))
    } else {
        check(&value)?;
        Ok(ParamValue::Text(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LocalContext {
        LocalContext {
            region: "eu-west-1".into(),
            account_id: "111122223333".into(),
            sqs_endpoint: "http://127.0.0.1:5000/".into(),
            ..LocalContext::default()
        }
    }

    fn ctx_with(parameters: &[(&str, &str)]) -> LocalContext {
        let mut ctx = ctx();
        ctx.parameters = parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ctx
    }

    fn error(yaml: &str, ctx: &LocalContext) -> String {
        format!("{:#}", parse(yaml, ctx).unwrap_err())
    }

    /// A template with parameters, conditions, a table, queues and one
    /// function whose environment variables are `variables` (YAML lines).
    fn with_variables(variables: &[&str]) -> String {
        let variables: String = variables
            .iter()
            .map(|line| format!("          {line}\n"))
            .collect();
        format!(
            r#"
Parameters:
  Environment:
    Type: String
    Default: dev
  Level:
    Type: String
    Default: info
    AllowedValues: [debug, info]
  Origins:
    Type: CommaDelimitedList
    Default: "http://a.test, http://b.test"
  Secret:
    Type: String
Mappings:
  Sizes:
    dev: {{Memory: 256}}
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
  IsDev:
    Fn::Equals: [!Ref Environment, dev]
  NotProd: !Not [!Condition IsProd]
  DevAndDebug: !And [!Condition IsDev, !Equals [!Ref Level, debug]]
  DevOrProd: !Or [{{Condition: IsDev}}, !Condition IsProd]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub app-${{Environment}}
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      StreamSpecification: {{StreamViewType: NEW_IMAGE}}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub jobs-${{Environment}}
  Unnamed:
    Type: AWS::SQS::Queue
  Key:
    Type: AWS::SecretsManager::Secret
  Topic:
    Type: AWS::SNS::Topic
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: worker
    Properties:
      FunctionName: !Sub worker-${{Environment}}
      Environment:
        Variables:
{variables}"#
        )
    }

    fn env(variables: &[&str], ctx: &LocalContext) -> BTreeMap<String, String> {
        let template = parse(&with_variables(variables), ctx).unwrap();
        template.function("Fn").unwrap().environment.clone()
    }

    fn var(expression: &str) -> String {
        let line = format!("X: {expression}");
        env(&[&line], &ctx()).remove("X").unwrap()
    }

    fn var_error(expression: &str) -> String {
        let line = format!("X: {expression}");
        error(&with_variables(&[&line]), &ctx())
    }

    #[test]
    fn ref_to_a_parameter_uses_the_override_else_the_default() {
        assert_eq!(var("!Ref Environment"), "dev");
        assert_eq!(var("{Ref: Environment}"), "dev");
        let vars = env(
            &["X: !Ref Environment"],
            &ctx_with(&[("Environment", "qa")]),
        );
        assert_eq!(vars["X"], "qa");
    }

    #[test]
    fn a_parameter_without_default_or_override_is_an_error_naming_it() {
        let message = var_error("!Ref Secret");
        assert!(
            message.contains("Resources.Fn.Properties.Environment.Variables.X"),
            "{message}"
        );
        assert!(
            message.contains("parameter Secret has no Default"),
            "{message}"
        );
        let vars = env(&["X: !Ref Secret"], &ctx_with(&[("Secret", "s3cr3t")]));
        assert_eq!(vars["X"], "s3cr3t");
        // Unreferenced, it is no error.
        parse(&with_variables(&["X: a"]), &ctx()).unwrap();
    }

    #[test]
    fn allowed_values_are_checked() {
        let message = error(&with_variables(&["X: a"]), &ctx_with(&[("Level", "loud")]));
        assert!(message.contains("Parameters.Level"), "{message}");
        assert!(message.contains("AllowedValues"), "{message}");
    }

    #[test]
    fn pseudo_parameters() {
        assert_eq!(var("!Ref AWS::Region"), "eu-west-1");
        assert_eq!(var("!Ref AWS::AccountId"), "111122223333");
        assert_eq!(var("!Ref AWS::StackName"), "opsflow-local");
        assert_eq!(var("!Ref AWS::Partition"), "aws");
        assert_eq!(var("!Ref AWS::URLSuffix"), "amazonaws.com");
        assert!(var_error("!Ref AWS::Nope").contains("unknown pseudo parameter AWS::Nope"));
    }

    #[test]
    fn defaults_for_region_account_and_endpoint() {
        let template = parse(
            &with_variables(&["X: !GetAtt Queue.QueueUrl", "Y: !Ref AWS::Region"]),
            &LocalContext::default(),
        )
        .unwrap();
        let vars = &template.function("Fn").unwrap().environment;
        assert_eq!(vars["X"], "http://127.0.0.1:5000/123456789012/jobs-dev");
        assert_eq!(vars["Y"], "us-east-1");
    }

    #[test]
    fn no_value_removes_the_key() {
        let vars = env(
            &[
                "A: !If [IsProd, prod-only, !Ref AWS::NoValue]",
                "B: !If [IsDev, dev, !Ref AWS::NoValue]",
            ],
            &ctx(),
        );
        assert!(!vars.contains_key("A"));
        assert_eq!(vars["B"], "dev");
    }

    #[test]
    fn ref_to_resources() {
        assert_eq!(var("!Ref Table"), "app-dev");
        assert_eq!(
            var("!Ref Queue"),
            "http://127.0.0.1:5000/111122223333/jobs-dev"
        );
        assert_eq!(
            var("!Ref Unnamed"),
            "http://127.0.0.1:5000/111122223333/opsflow-local-Unnamed"
        );
        assert_eq!(var("!Ref Fn"), "worker-dev");
        assert_eq!(
            var("!Ref Key"),
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:Key"
        );
        assert_eq!(var("!Ref Topic"), "local-Topic");
        assert!(var_error("!Ref Missing").contains("neither a parameter nor a resource"));
        let message = var_error("!Ref ProdOnly");
        assert!(
            message.contains("not created (its condition IsProd is false)"),
            "{message}"
        );
    }

    #[test]
    fn get_att() {
        assert_eq!(
            var("!GetAtt Table.Arn"),
            "arn:aws:dynamodb:eu-west-1:111122223333:table/app-dev"
        );
        assert_eq!(
            var("!GetAtt Table.StreamArn"),
            "arn:aws:dynamodb:eu-west-1:111122223333:table/app-dev/stream/local"
        );
        assert_eq!(
            var("!GetAtt Queue.Arn"),
            "arn:aws:sqs:eu-west-1:111122223333:jobs-dev"
        );
        assert_eq!(var("!GetAtt [Queue, QueueName]"), "jobs-dev");
        assert_eq!(
            var("{'Fn::GetAtt': [Queue, QueueUrl]}"),
            "http://127.0.0.1:5000/111122223333/jobs-dev"
        );
        assert_eq!(
            var("!GetAtt Fn.Arn"),
            "arn:aws:lambda:eu-west-1:111122223333:function:worker-dev"
        );
        assert_eq!(var("!GetAtt Topic.TopicArn"), "local-Topic.TopicArn");
        let message = var_error("!GetAtt Queue.Nope");
        assert!(
            message.contains("Resources.Fn.Properties.Environment.Variables.X"),
            "{message}"
        );
        assert!(message.contains("has no attribute Nope"), "{message}");
    }

    #[test]
    fn sub_with_every_kind_of_variable() {
        assert_eq!(
            var("!Sub '${Environment}/${Table}/${Queue.Arn}/${AWS::Region}/${!Literal}/${AWS::AccountId}'"),
            "dev/app-dev/arn:aws:sqs:eu-west-1:111122223333:jobs-dev/eu-west-1/${Literal}/111122223333"
        );
        assert_eq!(
            var("!Sub ['${Name}-${Environment}', {Name: !Ref Table}]"),
            "app-dev-dev"
        );
        assert_eq!(var("{'Fn::Sub': 'x-${Environment}'}"), "x-dev");
        // Dynamic references stay as text.
        assert_eq!(
            var("!Sub '{{resolve:ssm:/app/${Environment}/key}}'"),
            "{{resolve:ssm:/app/dev/key}}"
        );
        assert!(var_error("!Sub '${Origins}'").contains("is a list"));
        assert!(var_error("!Sub '${Nope}'").contains("Nope"));
    }

    #[test]
    fn join_select_split_base64_find_in_map() {
        assert_eq!(
            var("!Join [',', !Ref Origins]"),
            "http://a.test,http://b.test"
        );
        assert_eq!(
            var("{'Fn::Join': ['-', [a, !Ref Environment, 3]]}"),
            "a-dev-3"
        );
        assert_eq!(var("!Select [1, !Ref Origins]"), "http://b.test");
        assert_eq!(var("!Select [0, !Split ['/', 'a/b/c']]"), "a");
        assert_eq!(var("!Base64 hello"), "aGVsbG8=");
        assert_eq!(var("!FindInMap [Sizes, !Ref Environment, Memory]"), "256");
        assert!(var_error("!Select [5, !Ref Origins]").contains("out of range"));
        assert!(var_error("!FindInMap [Sizes, prod, Memory]").contains("has no key prod"));
    }

    #[test]
    fn if_with_conditions() {
        assert_eq!(var("!If [IsProd, p, d]"), "d");
        assert_eq!(var("{'Fn::If': [IsDev, d, p]}"), "d");
        assert_eq!(var("!If [NotProd, yes, no]"), "yes");
        assert_eq!(var("!If [DevAndDebug, yes, no]"), "no");
        assert_eq!(var("!If [DevOrProd, yes, no]"), "yes");
        let vars = env(
            &["X: !If [DevAndDebug, yes, no]"],
            &ctx_with(&[("Level", "debug")]),
        );
        assert_eq!(vars["X"], "yes");
        let vars = env(
            &["X: !If [IsProd, p, d]"],
            &ctx_with(&[("Environment", "prod")]),
        );
        assert_eq!(vars["X"], "p");
        assert!(var_error("!If [Nope, a, b]").contains("no condition Nope"));
    }

    #[test]
    fn a_true_condition_creates_the_resource() {
        let template = parse(
            &with_variables(&["X: !Ref ProdOnly"]),
            &ctx_with(&[("Environment", "prod")]),
        )
        .unwrap();
        assert!(template.queue("ProdOnly").is_some());
        let template = parse(&with_variables(&["X: a"]), &ctx()).unwrap();
        assert!(template.queue("ProdOnly").is_none());
    }

    #[test]
    fn unsupported_intrinsics_are_errors_naming_the_place() {
        let message = var_error("!ImportValue shared-thing");
        assert!(
            message.contains("Resources.Fn.Properties.Environment.Variables.X"),
            "{message}"
        );
        assert!(
            message.contains("Fn::ImportValue is not supported locally"),
            "{message}"
        );
        assert!(var_error("[a, b]").contains("found a list"));
    }

    #[test]
    fn numbers_and_booleans_become_text() {
        let vars = env(&["N: 42", "B: true"], &ctx());
        assert_eq!(vars["N"], "42");
        assert_eq!(vars["B"], "true");
    }

    #[test]
    fn undeclared_parameter_overrides_are_reported() {
        let template = parse(&with_variables(&["X: a"]), &ctx_with(&[("Nope", "1")])).unwrap();
        assert!(template
            .warnings
            .iter()
            .any(|w| w.contains("parameter Nope is not declared")));
    }

    #[test]
    fn ignored_and_unknown_resources_are_warnings() {
        let yaml = format!(
            "{}\n  Alarm:\n    Type: AWS::CloudWatch::Alarm\n  Bucket:\n    Type: AWS::S3::Bucket\n",
            with_variables(&["X: a"]).trim_end()
        );
        let template = parse(&yaml, &ctx()).unwrap();
        assert!(template
            .warnings
            .contains(&"ignored locally: Topic (AWS::SNS::Topic)".to_owned()));
        assert!(template
            .warnings
            .contains(&"ignored locally: Key (AWS::SecretsManager::Secret)".to_owned()));
        assert!(template
            .warnings
            .contains(&"ignored locally: Alarm (AWS::CloudWatch::Alarm)".to_owned()));
        assert!(template
            .warnings
            .iter()
            .any(|w| w.contains("Bucket (AWS::S3::Bucket)")));
    }

    #[test]
    fn environment_overrides_replace_declared_keys_and_aws_keys() {
        let mut ctx = ctx();
        ctx.environment_overrides = [
            ("KEY", "local-key"),
            ("UNDECLARED", "x"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let template = parse(
            &with_variables(&[
                "KEY: '{{resolve:ssm:/app/key}}'",
                "OTHER: !Sub '{{resolve:secretsmanager:${Key}:SecretString}}'",
            ]),
            &ctx,
        )
        .unwrap();
        let vars = &template.function("Fn").unwrap().environment;
        assert_eq!(vars["KEY"], "local-key");
        assert_eq!(vars["AWS_ENDPOINT_URL_DYNAMODB"], "http://127.0.0.1:8000");
        assert!(!vars.contains_key("UNDECLARED"));
        let warnings: Vec<_> = template
            .warnings
            .iter()
            .filter(|w| w.contains("dynamic reference"))
            .collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("Fn") && warnings[0].contains("OTHER"));
    }

    const FUNCTION_HEAD: &str = r#"
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: worker
    Properties:
"#;

    fn resources(body: &str) -> String {
        format!("Resources:\n{body}")
    }

    fn function_with(properties: &str) -> String {
        resources(&format!("{FUNCTION_HEAD}{properties}"))
    }

    #[test]
    fn globals_are_merged_into_functions() {
        let yaml = format!(
            r#"
Globals:
  Function:
    Timeout: 10
    MemorySize: 256
    Architectures: [arm64]
    Environment:
      Variables:
        A: global-a
        B: global-b
{}
      MemorySize: 512
      Environment:
        Variables:
          B: own-b
          C: own-c
"#,
            resources(FUNCTION_HEAD).trim_end()
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let f = template.function("Fn").unwrap();
        assert_eq!(f.timeout_secs, 10);
        assert_eq!(f.memory_mb, 512);
        assert_eq!(f.architecture, "arm64");
        assert_eq!(f.function_name, "Fn");
        assert_eq!(f.binary, "worker");
        let env: Vec<_> = f
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(env, ["A=global-a", "B=own-b", "C=own-c"]);
    }

    #[test]
    fn function_defaults() {
        let template = parse(&function_with("      Description: x\n"), &ctx()).unwrap();
        let f = template.function("Fn").unwrap();
        assert_eq!(
            (f.memory_mb, f.timeout_secs, f.architecture.as_str()),
            (128, 3, "x86_64")
        );
        assert!(f.environment.is_empty() && f.events.is_empty());
    }

    #[test]
    fn functions_must_be_rust_cargolambda_with_a_binary() {
        let yaml = resources(
            "  Fn:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: rust-cargolambda\n",
        );
        let message = error(&yaml, &ctx());
        assert!(
            message.contains("Resources.Fn.Metadata.BuildProperties.Binary"),
            "{message}"
        );
        let yaml = resources("  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n");
        let message = error(&yaml, &ctx());
        assert!(
            message.contains("Resources.Fn.Metadata.BuildMethod"),
            "{message}"
        );
        assert!(message.contains("rust-cargolambda"), "{message}");
    }

    fn events(events: &str) -> String {
        format!(
            r#"Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      StreamSpecification: {{StreamViewType: NEW_AND_OLD_IMAGES}}
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
  Queue:
    Type: AWS::SQS::Queue
{FUNCTION_HEAD}      Events:
{events}"#
        )
    }

    #[test]
    fn http_api_events() {
        let yaml = events(
            r#"        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: '/users/{id}', Method: get}
        Any:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: '/files/{proxy+}', Method: any}
        NoMethod:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /other}
        Default:
          Type: HttpApi
          Properties: {ApiId: !Ref Api}
"#,
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let keys: Vec<_> = template.routes.iter().map(HttpRoute::route_key).collect();
        assert_eq!(
            keys,
            [
                "GET /users/{id}",
                "ANY /files/{proxy+}",
                "ANY /other",
                "ANY $default"
            ]
        );
        assert!(template.routes.iter().all(|r| r.function == "Fn"));
        assert_eq!(template.function("Fn").unwrap().events.len(), 4);
        assert_eq!(template.cors, None);
    }

    #[test]
    fn duplicate_routes_are_errors() {
        let yaml = events(
            r#"        A:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /a, Method: GET}
        B:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /a, Method: get}
"#,
        );
        let message = error(&yaml, &ctx());
        assert!(message.contains("Resources.Fn.Properties.Events.B: route GET /a is also declared by Resources.Fn.Properties.Events.A"), "{message}");
    }

    #[test]
    fn an_implicit_api_next_to_an_explicit_one_is_an_error() {
        let yaml = events(
            "        A:\n          Type: HttpApi\n          Properties: {Path: /a, Method: GET}\n",
        );
        let message = error(&yaml, &ctx());
        assert!(
            message.contains("Resources.Fn.Properties.Events.A"),
            "{message}"
        );
        assert!(message.contains("only one HTTP API"), "{message}");
    }

    #[test]
    fn sqs_events() {
        let yaml = events(
            r#"        Defaults:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn}
        Explicit:
          Type: SQS
          Properties:
            Queue: {'Fn::GetAtt': [Queue, Arn]}
            BatchSize: 5
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            Enabled: false
        ByArnText:
          Type: SQS
          Properties: {Queue: !Sub 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:opsflow-local-Queue'}
"#,
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let sources: Vec<_> = template
            .function("Fn")
            .unwrap()
            .sqs_sources()
            .cloned()
            .collect();
        assert_eq!(
            sources[0],
            SqsSource {
                function: "Fn".into(),
                queue: "Queue".into(),
                batch_size: 10,
                batching_window_secs: 0,
                report_batch_item_failures: false,
                enabled: true,
            }
        );
        assert_eq!(
            sources[1],
            SqsSource {
                function: "Fn".into(),
                queue: "Queue".into(),
                batch_size: 5,
                batching_window_secs: 2,
                report_batch_item_failures: true,
                enabled: false,
            }
        );
        assert_eq!(sources[2].queue, "Queue");
    }

    #[test]
    fn sqs_event_errors() {
        let message = error(
            &events("        E:\n          Type: SQS\n          Properties: {Queue: !GetAtt Table.Arn}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.E.Properties.Queue: expected a queue"),
            "{message}"
        );
        let message = error(
            &events("        E:\n          Type: SQS\n          Properties: {Queue: !GetAtt Queue.Arn, FilterCriteria: {Filters: []}}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.E.Properties.FilterCriteria"),
            "{message}"
        );
    }

    #[test]
    fn dynamodb_events() {
        let yaml = events(
            r#"        Defaults:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST}
        Explicit:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 7
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            Enabled: false
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"]}'
                - Pattern: '{"dynamodb": {"NewImage": {"kind": {"S": ["user"]}}}}'
"#,
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let sources: Vec<_> = template
            .function("Fn")
            .unwrap()
            .stream_sources()
            .cloned()
            .collect();
        assert_eq!(
            sources[0],
            StreamSource {
                function: "Fn".into(),
                table: "Table".into(),
                batch_size: 100,
                starting_position: "LATEST".into(),
                filter_patterns: Vec::new(),
                report_batch_item_failures: false,
                maximum_retry_attempts: -1,
                enabled: true,
            }
        );
        assert_eq!(
            sources[1],
            StreamSource {
                function: "Fn".into(),
                table: "Table".into(),
                batch_size: 7,
                starting_position: "TRIM_HORIZON".into(),
                filter_patterns: vec![
                    serde_json::json!({"eventName": ["INSERT"]}),
                    serde_json::json!({"dynamodb": {"NewImage": {"kind": {"S": ["user"]}}}}),
                ],
                report_batch_item_failures: true,
                maximum_retry_attempts: 2,
                enabled: false,
            }
        );
    }

    #[test]
    fn dynamodb_event_errors() {
        let message = error(
            &events(
                "        E:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: LATEST\n            FilterCriteria: {Filters: [{Pattern: '{not json'}]}\n",
            ),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.E.Properties.FilterCriteria.Filters[0].Pattern: invalid JSON"),
            "{message}"
        );
        let message = error(
            &events("        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Plain.StreamArn, StartingPosition: LATEST}\n"),
            &ctx(),
        );
        assert!(message.contains("Resources.Fn.Properties.Events.E.Properties.Stream: table Plain has no StreamSpecification"), "{message}");
        let message = error(
            &events("        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Table.StreamArn}\n"),
            &ctx(),
        );
        assert!(message.contains("StartingPosition: missing"), "{message}");
    }

    #[test]
    fn schedule_events() {
        let yaml = events(
            r#"        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(1 hour), Input: '{"a": 1}'}
        Off:
          Type: Schedule
          Properties: {Schedule: 'cron(0 12 * * ? *)', Enabled: false}
        V2:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(5 minutes)}
        V2Off:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(5 minutes), State: DISABLED}
"#,
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let schedules: Vec<_> = template
            .function("Fn")
            .unwrap()
            .schedules()
            .cloned()
            .collect();
        assert_eq!(
            schedules[0],
            ScheduleSource {
                function: "Fn".into(),
                name: "Hourly".into(),
                expression: "rate(1 hour)".into(),
                input: Some(r#"{"a": 1}"#.into()),
                enabled: true,
            }
        );
        assert_eq!(
            (schedules[1].expression.as_str(), schedules[1].enabled),
            ("cron(0 12 * * ? *)", false)
        );
        assert_eq!(
            (schedules[2].name.as_str(), schedules[2].enabled),
            ("V2", true)
        );
        assert!(!schedules[3].enabled);
    }

    #[test]
    fn other_event_types_are_errors_naming_function_and_event() {
        let message = error(
            &events("        Login:\n          Type: Foo\n          Properties: {}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.Login: unsupported event type Foo"),
            "{message}"
        );
    }

    #[test]
    fn unhandled_event_settings_are_warnings() {
        let yaml = events(
            "        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST, BisectBatchOnFunctionError: true}\n",
        );
        let template = parse(&yaml, &ctx()).unwrap();
        assert!(template.warnings.contains(
            &"Resources.Fn.Properties.Events.E.Properties.BisectBatchOnFunctionError: not applied locally".to_owned()
        ));
    }

    #[test]
    fn tables() {
        let yaml = resources(
            r#"  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: N}
        - {AttributeName: g, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: byG
          KeySchema: [{AttributeName: g, KeyType: HASH}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [name]}
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: false}
  Simple:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: simple
      PrimaryKey: {Name: key, Type: Number}
"#,
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let table = template.table("Items").unwrap();
        assert_eq!(table.name, "opsflow-local-Items");
        assert_eq!(table.attributes["sk"], "N");
        assert_eq!(
            (table.hash_key.as_str(), table.range_key.as_deref()),
            ("pk", Some("sk"))
        );
        assert_eq!(
            table.global_indexes,
            [IndexDef {
                name: "byG".into(),
                hash_key: "g".into(),
                range_key: None,
                projection: "INCLUDE".into(),
                non_key_attributes: vec!["name".into()],
            }]
        );
        assert_eq!(table.stream_view_type, None);
        assert_eq!(table.ttl_attribute, None);
        let simple = template.table("Simple").unwrap();
        assert_eq!(
            (simple.name.as_str(), simple.hash_key.as_str()),
            ("simple", "key")
        );
        assert_eq!(simple.attributes["key"], "N");
    }

    const KEYS: &str = "      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n";

    #[test]
    fn table_errors() {
        let message = error(
            &resources(&format!("  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: ab\n{KEYS}")),
            &ctx(),
        );
        assert!(
            message.contains("Resources.T.Properties.TableName"),
            "{message}"
        );
        assert!(message.contains("3 to 255"), "{message}");
        let message = error(
            &resources(&format!("  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n{KEYS}      LocalSecondaryIndexes: []\n")),
            &ctx(),
        );
        assert!(message.contains("Resources.T.Properties.LocalSecondaryIndexes: local secondary indexes are not supported"), "{message}");
        let message = error(
            &resources("  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"),
            &ctx(),
        );
        assert!(
            message.contains("key attribute id is not in AttributeDefinitions"),
            "{message}"
        );
    }

    #[test]
    fn queues() {
        let yaml = resources(
            r#"  Dlq:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, MessageRetentionPeriod: 1209600}
  Main:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: main.fifo
      FifoQueue: true
      VisibilityTimeout: 60
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
        maxReceiveCount: 3
  Other:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: !Sub '{"deadLetterTargetArn": "${Plain.Arn}", "maxReceiveCount": "5"}'
  Plain:
    Type: AWS::SQS::Queue
"#,
        );
        let template = parse(&yaml, &ctx()).unwrap();
        assert_eq!(
            template.queue("Dlq").unwrap(),
            &QueueDef {
                logical_id: "Dlq".into(),
                name: "opsflow-local-Dlq.fifo".into(),
                fifo: true,
                visibility_timeout_secs: 30,
                message_retention_secs: Some(1_209_600),
                redrive: None,
            }
        );
        let main = template.queue("Main").unwrap();
        assert_eq!(
            (main.name.as_str(), main.visibility_timeout_secs),
            ("main.fifo", 60)
        );
        assert_eq!(
            main.redrive,
            Some(Redrive {
                dead_letter_queue: "Dlq".into(),
                max_receive_count: 3
            })
        );
        assert_eq!(
            template.queue("Other").unwrap().redrive,
            Some(Redrive {
                dead_letter_queue: "Plain".into(),
                max_receive_count: 5
            })
        );
    }

    #[test]
    fn queue_errors() {
        let message = error(
            &resources("  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: plain, FifoQueue: true}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Q.Properties.QueueName"),
            "{message}"
        );
        let message = error(
            &resources("  Q:\n    Type: AWS::SQS::Queue\n    Properties: {RedrivePolicy: {deadLetterTargetArn: arn:aws:sqs:x:1:gone, maxReceiveCount: 1}}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Q.Properties.RedrivePolicy.deadLetterTargetArn"),
            "{message}"
        );
    }

    fn api(cors: &str) -> String {
        let mut yaml = events("        A:\n          Type: HttpApi\n          Properties: {ApiId: !Ref Api, Path: /a, Method: GET}\n");
        yaml.insert_str(0, "Parameters:\n  Origins: {Type: CommaDelimitedList, Default: 'http://a.test,http://b.test'}\n");
        yaml.replace(
            "    Type: AWS::Serverless::HttpApi\n",
            &format!("    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: {cors}\n"),
        )
    }

    #[test]
    fn cors_configuration() {
        let template = parse(
            &api("{AllowOrigins: !Ref Origins, AllowHeaders: [authorization], AllowMethods: [GET, POST], ExposeHeaders: [etag], MaxAge: 600, AllowCredentials: true}"),
            &ctx(),
        )
        .unwrap();
        assert_eq!(
            template.cors,
            Some(CorsConfig {
                allow_origins: vec!["http://a.test".into(), "http://b.test".into()],
                allow_headers: vec!["authorization".into()],
                allow_methods: vec!["GET".into(), "POST".into()],
                expose_headers: vec!["etag".into()],
                max_age: Some(600),
                allow_credentials: true,
            })
        );
        let template = parse(&api("{AllowOrigins: !Join [',', !Ref Origins]}"), &ctx()).unwrap();
        assert_eq!(
            template.cors.unwrap().allow_origins,
            ["http://a.test", "http://b.test"]
        );
        let template = parse(&api("true"), &ctx()).unwrap();
        assert_eq!(template.cors.unwrap().allow_origins, ["*"]);
    }

    #[test]
    fn more_than_one_http_api_is_an_error() {
        let yaml = resources(
            "  A:\n    Type: AWS::Serverless::HttpApi\n  B:\n    Type: AWS::Serverless::HttpApi\n",
        );
        let message = error(&yaml, &ctx());
        assert!(message.contains("A, B"), "{message}");
        assert!(message.contains("only one HTTP API"), "{message}");
    }

    #[test]
    fn openapi_definitions_are_errors() {
        let yaml = resources("  A:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionUri: api.yaml\n");
        assert!(error(&yaml, &ctx()).contains("Resources.A.Properties.DefinitionUri"));
    }

    #[test]
    fn invalid_yaml_and_missing_resources() {
        assert!(error("a: [", &ctx()).contains("not valid YAML"));
        assert!(error("Parameters: {}", &ctx()).contains("Resources"));
    }

    #[test]
    fn condition_cycles_are_errors() {
        let yaml = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Condition: A\n";
        assert!(error(yaml, &ctx()).contains("refers to itself"));
    }
}
