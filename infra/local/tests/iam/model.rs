//! The expanded template and the parts of it the checks read: each
//! function with its role's statements and its event source mappings, and
//! the logical ids an intrinsic names.

use opsflow_local::template::EventSource;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The expanded template, once per process; `None` without the venv.
pub(crate) fn expanded() -> Option<&'static Value> {
    static EXPANDED: OnceLock<Option<Value>> = OnceLock::new();
    EXPANDED.get_or_init(cached_expansion).as_ref()
}

/// The expansion of this checkout's template: SAM's translator takes
/// seconds, so it is kept beside the build, with the inputs it was made
/// from, and made again only when they differ (a run that changes neither
/// the template nor the script, or a test runner that gives every test a
/// process of its own, does not pay for it again).
fn cached_expansion() -> Option<Value> {
    let root = repository();
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        eprintln!(
            "SKIPPED: {} is missing; run `make setup` to check the expanded template",
            python.display()
        );
        return None;
    }
    let script = root.join("infra/local/expand_template.py");
    let template = root.join("template.yaml");
    let read = |path: &Path| std::fs::read_to_string(path).expect("readable");
    let inputs = format!("{}\n{}", read(&script), read(&template));
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("expanded-template");
    let (cached_inputs, cached) = (cache.join("inputs"), cache.join("expanded.json"));
    if std::fs::read_to_string(&cached_inputs).is_ok_and(|text| text == inputs) {
        if let Ok(bytes) = std::fs::read(&cached) {
            return Some(serde_json::from_slice(&bytes).expect("the cached expansion is JSON"));
        }
    }
    let output = Command::new(&python)
        .arg(&script)
        .arg(&template)
        .output()
        .expect("expand_template.py runs");
    assert!(
        output.status.success(),
        "expand_template.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expanded = serde_json::from_slice(&output.stdout).expect("the expansion is JSON");
    // Written aside, then renamed: a concurrent reader sees the old files
    // or the new ones, and stale inputs never pass for fresh.
    std::fs::create_dir_all(&cache).expect("the cache folder");
    let aside = |path: &Path, bytes: &[u8]| {
        let partial = path.with_extension(format!("{}.partial", std::process::id()));
        std::fs::write(&partial, bytes).expect("the cache is writable");
        std::fs::rename(&partial, path).expect("the cache is writable");
    };
    let _ = std::fs::remove_file(&cached_inputs);
    aside(&cached, &output.stdout);
    aside(&cached_inputs, inputs.as_bytes());
    Some(expanded)
}

/// One `Allow` statement of a role.
#[derive(Debug)]
pub(super) struct Statement {
    pub(super) sid: String,
    pub(super) actions: BTreeSet<String>,
    pub(super) resources: Vec<Value>,
    /// `ForAllValues:StringLike` → `dynamodb:LeadingKeys`, if present.
    pub(super) leading_keys: Option<BTreeSet<String>>,
}

impl Statement {
    pub(super) fn allows_every_resource(&self) -> bool {
        self.resources.iter().any(|r| r == "*")
    }

    /// The logical ids the statement's resources name.
    pub(super) fn targets(&self) -> BTreeSet<String> {
        self.resources.iter().flat_map(references).collect()
    }

    pub(super) fn targets_resource(&self, logical_id: &str) -> bool {
        self.targets().contains(logical_id)
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(list) => list
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect(),
        other => panic!("expected a string or a list, got {other}"),
    }
}

/// The logical ids an intrinsic names: `Ref`, `Fn::GetAtt`, and `${Id}` /
/// `${Id.Attr}` inside `Fn::Sub` (pseudo parameters left out).
pub(super) fn references(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    collect_references(value, &mut found);
    found.retain(|id| !id.starts_with("AWS::"));
    found
}

fn collect_references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("Ref", Value::String(id)) => {
                        found.insert(id.clone());
                    }
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        if let Some(id) = parts.first().and_then(Value::as_str) {
                            found.insert(id.to_owned());
                        }
                    }
                    ("Fn::Sub", Value::String(text)) => sub_references(text, found),
                    ("Fn::Sub", Value::Array(parts)) => {
                        if let Some(text) = parts.first().and_then(Value::as_str) {
                            sub_references(text, found);
                        }
                        parts
                            .iter()
                            .skip(1)
                            .for_each(|p| collect_references(p, found));
                    }
                    _ => collect_references(inner, found),
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| collect_references(v, found)),
        _ => {}
    }
}

fn sub_references(text: &str, found: &mut BTreeSet<String>) {
    for piece in text.split("${").skip(1) {
        if let Some((name, _)) = piece.split_once('}') {
            let id = name.split('.').next().unwrap_or(name);
            found.insert(id.to_owned());
        }
    }
}

/// The expanded template's view of one function.
pub(super) struct Function<'a> {
    pub(super) logical_id: String,
    pub(super) properties: &'a Value,
    pub(super) role: String,
    pub(super) statements: Vec<Statement>,
    /// The event source mappings that invoke it.
    pub(super) mappings: Vec<&'a Value>,
}

impl Function<'_> {
    /// Queues named by its `*_QUEUE_URL` variables and by its mappings'
    /// on-failure destinations: the queues it sends to.
    pub(super) fn send_queues(&self) -> BTreeSet<String> {
        let mut queues = BTreeSet::new();
        if let Some(vars) = self.properties["Environment"]["Variables"].as_object() {
            for (name, value) in vars {
                if name.ends_with("_QUEUE_URL") {
                    queues.extend(references(value));
                }
            }
        }
        for mapping in &self.mappings {
            queues.extend(references(
                &mapping["Properties"]["DestinationConfig"]["OnFailure"],
            ));
        }
        queues
    }

    /// The queues its `WATCHED_*QUEUES` variables list (probed for their
    /// counts).
    pub(super) fn watched_queues(&self) -> BTreeSet<String> {
        let mut queues = BTreeSet::new();
        if let Some(vars) = self.properties["Environment"]["Variables"].as_object() {
            for (name, value) in vars {
                if name.starts_with("WATCHED_") && name.ends_with("QUEUES") {
                    queues.extend(references(value));
                }
            }
        }
        queues
    }

    /// The resources its mappings read: queues and tables (for streams).
    pub(super) fn event_sources(&self) -> BTreeSet<String> {
        self.mappings
            .iter()
            .flat_map(|m| references(&m["Properties"]["EventSourceArn"]))
            .collect()
    }

    /// The actions it is allowed on a resource naming `logical_id`.
    pub(super) fn actions_on(&self, logical_id: &str) -> BTreeSet<String> {
        self.statements
            .iter()
            .filter(|s| s.targets_resource(logical_id))
            .flat_map(|s| s.actions.iter().cloned())
            .collect()
    }
}

pub(super) fn resource_type<'a>(template: &'a Value, logical_id: &str) -> &'a str {
    template["Resources"][logical_id]["Type"]
        .as_str()
        .unwrap_or("<none>")
}

/// Every function of the expanded template with its role's statements.
pub(super) fn functions(template: &Value) -> Vec<Function<'_>> {
    let resources = template["Resources"].as_object().expect("Resources");
    let mut functions = Vec::new();
    for (id, resource) in resources {
        if resource["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        let properties = &resource["Properties"];
        let role_refs = references(&properties["Role"]);
        assert_eq!(role_refs.len(), 1, "{id}: Role names one role");
        let role = role_refs.into_iter().next().unwrap_or_default();
        assert_eq!(resource_type(template, &role), "AWS::IAM::Role", "{id}");
        let role_properties = &resources[&role]["Properties"];
        let mut statements = Vec::new();
        for policy in role_properties["Policies"].as_array().into_iter().flatten() {
            for statement in policy["PolicyDocument"]["Statement"]
                .as_array()
                .expect("a list of statements")
            {
                assert_eq!(statement["Effect"], "Allow", "{id}: {statement}");
                let resources = match &statement["Resource"] {
                    Value::Array(list) => list.clone(),
                    one => vec![one.clone()],
                };
                let leading_keys = statement["Condition"]["ForAllValues:StringLike"]
                    ["dynamodb:LeadingKeys"]
                    .as_array()
                    .map(|keys| {
                        keys.iter()
                            .map(|k| k.as_str().expect("a key pattern").to_owned())
                            .collect()
                    });
                statements.push(Statement {
                    sid: statement["Sid"].as_str().unwrap_or_default().to_owned(),
                    actions: strings(&statement["Action"]).into_iter().collect(),
                    resources,
                    leading_keys,
                });
            }
        }
        // A managed policy's statements are not in the template: it counts
        // as unknown actions on every resource.
        for arn in role_properties["ManagedPolicyArns"]
            .as_array()
            .into_iter()
            .flatten()
        {
            statements.push(Statement {
                sid: format!("managed policy {arn}"),
                actions: BTreeSet::from([format!("<managed policy {arn}>")]),
                resources: vec![Value::from("*")],
                leading_keys: None,
            });
        }
        // A mapping invokes the function, or its alias (AutoPublishAlias).
        let aliases: BTreeSet<&String> = resources
            .iter()
            .filter(|(_, r)| {
                r["Type"] == "AWS::Lambda::Alias"
                    && references(&r["Properties"]["FunctionName"]).contains(id)
            })
            .map(|(alias, _)| alias)
            .collect();
        let mappings = resources
            .values()
            .filter(|r| {
                let invoked = references(&r["Properties"]["FunctionName"]);
                r["Type"] == "AWS::Lambda::EventSourceMapping"
                    && (invoked.contains(id) || aliases.iter().any(|a| invoked.contains(*a)))
            })
            .collect();
        functions.push(Function {
            logical_id: id.clone(),
            properties,
            role,
            statements,
            mappings,
        });
    }
    functions
}

/// The logical ids of the functions with HTTP routes.
pub(super) fn api_functions() -> BTreeSet<String> {
    let template = super::super::real_template(&super::super::context());
    template
        .functions
        .iter()
        .filter(|f| f.events.iter().any(|e| matches!(e, EventSource::Http(_))))
        .map(|f| f.logical_id.clone())
        .collect()
}
