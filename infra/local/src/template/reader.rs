//! The reader: the template's sections, its resources in template order,
//! and the assembly of the [`Template`] from them. Invariant: resources are
//! read in the order the template declares them, a resource whose
//! `Condition` is false is neither read nor referable, and whatever cannot
//! run as written locally is either an error naming its place or a line in
//! [`Template::warnings`], never silently dropped.

use super::parameters::{parameters, ParamValue};
use super::values::key_text;
use super::{
    EventSource, LocalContext, Template, BUCKET, EMAIL_IDENTITY, FUNCTION, HTTP_API, IGNORED_TYPES,
    QUEUE, SIMPLE_TABLE, TABLE,
};
use anyhow::{anyhow, bail, Result};
use std::cell::RefCell;
use std::collections::BTreeMap;
use yaml_serde::{Mapping, Value};

/// A resource as the template declares it.
pub(super) struct Resource<'a> {
    pub(super) kind: String,
    pub(super) def: &'a Mapping,
    /// The `Condition` that left it out, if it is not created.
    pub(super) skipped_by: Option<String>,
}

/// One reading of a template against a [`LocalContext`]: its sections,
/// the values resolved so far, and what the events declared.
pub(super) struct Reader<'a> {
    pub(super) ctx: &'a LocalContext,
    pub(super) region: String,
    pub(super) account: String,
    pub(super) sqs_endpoint: String,
    pub(super) params: BTreeMap<String, ParamValue>,
    pub(super) mappings: Option<&'a Mapping>,
    pub(super) conditions: BTreeMap<String, &'a Value>,
    pub(super) condition_values: RefCell<BTreeMap<String, Option<bool>>>,
    /// In template order.
    pub(super) order: Vec<String>,
    pub(super) resources: BTreeMap<String, Resource<'a>>,
    pub(super) names: RefCell<BTreeMap<String, Option<String>>>,
    pub(super) globals_function: Option<&'a Value>,
    pub(super) globals_http_api: Option<&'a Value>,
    warnings: RefCell<Vec<String>>,
    /// Route key → the event that declared it.
    pub(super) route_owners: RefCell<BTreeMap<String, String>>,
    /// Each `HttpApi` event's place and the API it names (`None`: SAM's
    /// implicit API).
    pub(super) api_uses: RefCell<Vec<(String, Option<String>)>>,
    /// Each DynamoDB event's place and table.
    pub(super) stream_uses: RefCell<Vec<(String, String)>>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(root: &'a Mapping, ctx: &'a LocalContext) -> Result<Self> {
        let section = |name: &str| -> Result<Option<&'a Mapping>> {
            match root.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Mapping(m)) => Ok(Some(m)),
                Some(_) => bail!("{name}: expected a mapping"),
            }
        };
        let mut warnings = Vec::new();
        let params = parameters(section("Parameters")?, ctx, &mut warnings)?;

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
        let mut reader = Reader {
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
        reader.create_conditional_resources()?;
        Ok(reader)
    }

    pub(super) fn warn(&self, line: String) {
        self.warnings.borrow_mut().push(line);
    }

    pub(super) fn read(self) -> Result<Template> {
        let mut functions = Vec::new();
        let mut tables = Vec::new();
        let mut queues = Vec::new();
        let mut buckets = Vec::new();
        let mut email_identities = Vec::new();
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
                BUCKET => buckets.push(self.bucket(id, resource.def)?),
                EMAIL_IDENTITY => email_identities.push(self.email_identity(id, resource.def)?),
                HTTP_API => http_apis.push(id.clone()),
                kind if IGNORED_TYPES.iter().any(|t| kind.starts_with(t)) => {
                    self.warn(format!("ignored locally: {id} ({kind})"));
                }
                kind => self.warn(format!("not supported locally, ignored: {id} ({kind})")),
            }
        }
        let cors = self.api_cors(&http_apis)?;
        self.check_stream_uses(&tables)?;
        check_unique_names("table", tables.iter().map(|t| (&t.name, &t.logical_id)))?;
        check_unique_names("queue", queues.iter().map(|q| (&q.name, &q.logical_id)))?;
        check_unique_names("bucket", buckets.iter().map(|b| (&b.name, &b.logical_id)))?;
        check_unique_names(
            "e-mail identity",
            email_identities
                .iter()
                .map(|e| (&e.identity, &e.logical_id)),
        )?;
        self.apply_environment_overrides(&mut functions);

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
            buckets,
            email_identities,
            routes,
            cors,
            warnings: self.warnings.into_inner(),
        })
    }
}

/// Checks that no two resources of a kind share a name (DynamoDB Local and
/// moto would silently hand both the same table, queue, bucket or identity).
fn check_unique_names<'a>(
    kind: &str,
    named: impl Iterator<Item = (&'a String, &'a String)>,
) -> Result<()> {
    let mut seen = BTreeMap::new();
    for (name, logical_id) in named {
        if let Some(other) = seen.insert(name, logical_id) {
            bail!("Resources.{logical_id}: {kind} name {name} is also used by {other}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::template::parse;
    use crate::template::test_support::{ctx, with_variables};

    #[test]
    fn ignored_and_unknown_resources_are_warnings() {
        let yaml = format!(
            "{}\n  Alarm:\n    Type: AWS::CloudWatch::Alarm\n  Machine:\n    Type: AWS::StepFunctions::StateMachine\n",
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
        assert!(template.warnings.contains(
            &"not supported locally, ignored: Machine (AWS::StepFunctions::StateMachine)"
                .to_owned()
        ));
    }
}
