//! `Ref` and `Fn::GetAtt`: pseudo parameters, parameters, and the local
//! physical names, queue URLs, bucket names, e-mail identities and ARNs of
//! resources; and `target`, which finds the resource an event or a redrive
//! policy designates. Invariant: only created resources can be referred to,
//! a resource's name is computed once and cached (a name that depends on
//! itself is an error, not an endless resolution), and a reference yields
//! the same value wherever it appears.

use super::buckets::generated_bucket_name;
use super::parameters::ParamValue;
use super::reader::{Reader, Resource};
use super::values::intrinsic;
use super::{BUCKET, EMAIL_IDENTITY, FUNCTION, QUEUE, SECRET, SIMPLE_TABLE, STACK_NAME, TABLE};
use anyhow::{anyhow, bail, Result};
use yaml_serde::{Mapping, Value};

impl<'a> Reader<'a> {
    pub(super) fn reference(&self, target: &str, path: &str) -> Result<Option<Value>> {
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
    pub(super) fn resource(&self, id: &str, path: &str) -> Result<&Resource<'a>> {
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
            TABLE | SIMPLE_TABLE | FUNCTION | BUCKET | EMAIL_IDENTITY => self.name_of(id, path)?,
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

    pub(super) fn get_att_args(&self, arg: &Value, path: &str) -> Result<(String, String)> {
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

    pub(super) fn get_att(&self, id: &str, attribute: &str, path: &str) -> Result<String> {
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
            (BUCKET, "Arn") => format!("arn:aws:s3:::{}", self.name_of(id, path)?),
            (BUCKET, "DomainName") => format!("{}.s3.amazonaws.com", self.name_of(id, path)?),
            (BUCKET, "RegionalDomainName") => {
                format!(
                    "{}.s3.{}.amazonaws.com",
                    self.name_of(id, path)?,
                    self.region
                )
            }
            (TABLE | SIMPLE_TABLE | QUEUE | FUNCTION | SECRET | BUCKET | EMAIL_IDENTITY, _) => {
                bail!("{path}: Fn::GetAtt {id}.{attribute}: {kind} has no attribute {attribute} locally")
            }
            (_, "Arn") => format!("arn:aws:local:{}:{}:{id}", self.region, self.account),
            _ => format!("local-{id}.{attribute}"),
        })
    }

    /// The physical name of a resource (resolving it once).
    pub(super) fn name_of(&self, id: &str, path: &str) -> Result<String> {
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
            BUCKET => self
                .opt_text(props, "BucketName", &pp)?
                .unwrap_or_else(|| generated_bucket_name(id)),
            EMAIL_IDENTITY => self
                .opt_text(props, "EmailIdentity", &pp)?
                .ok_or_else(|| anyhow!("{pp}.EmailIdentity: missing"))?,
            _ => format!("local-{id}"),
        })
    }

    /// The logical id of the resource of one of `kinds` that `value`
    /// designates (`!GetAtt Id.<one of attributes>`, `!Ref Id`, or any
    /// expression resolving to such a value).
    pub(super) fn target(
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
}

#[cfg(test)]
mod tests {
    use crate::template::test_support::{assert_resolves, assert_var_refused, with_variables};
    use crate::template::{parse, LocalContext};

    #[test]
    fn pseudo_parameters() {
        assert_resolves(&[
            ("!Ref AWS::Region", "eu-west-1"),
            ("!Ref AWS::AccountId", "111122223333"),
            ("!Ref AWS::StackName", "opsflow-local"),
            ("!Ref AWS::Partition", "aws"),
            ("!Ref AWS::URLSuffix", "amazonaws.com"),
        ]);
        assert_var_refused(&[("!Ref AWS::Nope", &["unknown pseudo parameter AWS::Nope"])]);
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
    fn ref_to_resources() {
        assert_resolves(&[
            ("!Ref Table", "app-dev"),
            ("!Ref Queue", "http://127.0.0.1:5000/111122223333/jobs-dev"),
            (
                "!Ref Unnamed",
                "http://127.0.0.1:5000/111122223333/opsflow-local-Unnamed",
            ),
            ("!Ref Fn", "worker-dev"),
            (
                "!Ref Key",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:Key",
            ),
            ("!Ref Topic", "local-Topic"),
            ("!Ref Reports", "reports-dev-111122223333-eu-west-1"),
            ("!Ref Scratch", "opsflow-local-scratch"),
            ("!Ref Sender", "ops@example.com"),
            ("!Ref SenderIdentity", "ops@example.com"),
            (
                "!Sub 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Sender}'",
                "arn:aws:ses:eu-west-1:111122223333:identity/ops@example.com",
            ),
            ("!Ref ReportsPolicy", "local-ReportsPolicy"),
        ]);
        assert_var_refused(&[
            ("!Ref Missing", &["neither a parameter nor a resource"]),
            (
                "!Ref ProdOnly",
                &["not created (its condition IsProd is false)"],
            ),
        ]);
    }

    #[test]
    fn get_att() {
        assert_resolves(&[
            (
                "!GetAtt Table.Arn",
                "arn:aws:dynamodb:eu-west-1:111122223333:table/app-dev",
            ),
            (
                "!GetAtt Table.StreamArn",
                "arn:aws:dynamodb:eu-west-1:111122223333:table/app-dev/stream/local",
            ),
            (
                "!GetAtt Queue.Arn",
                "arn:aws:sqs:eu-west-1:111122223333:jobs-dev",
            ),
            ("!GetAtt [Queue, QueueName]", "jobs-dev"),
            (
                "{'Fn::GetAtt': [Queue, QueueUrl]}",
                "http://127.0.0.1:5000/111122223333/jobs-dev",
            ),
            (
                "!GetAtt Fn.Arn",
                "arn:aws:lambda:eu-west-1:111122223333:function:worker-dev",
            ),
            ("!GetAtt Topic.TopicArn", "local-Topic.TopicArn"),
            (
                "!GetAtt Reports.Arn",
                "arn:aws:s3:::reports-dev-111122223333-eu-west-1",
            ),
            (
                "!Sub '${Reports.Arn}/*'",
                "arn:aws:s3:::reports-dev-111122223333-eu-west-1/*",
            ),
            (
                "!GetAtt Reports.DomainName",
                "reports-dev-111122223333-eu-west-1.s3.amazonaws.com",
            ),
            (
                "!GetAtt Scratch.RegionalDomainName",
                "opsflow-local-scratch.s3.eu-west-1.amazonaws.com",
            ),
        ]);
        assert_var_refused(&[
            (
                "!GetAtt Queue.Nope",
                &[
                    "Resources.Fn.Properties.Environment.Variables.X",
                    "has no attribute Nope",
                ],
            ),
            (
                "!GetAtt Reports.WebsiteURL",
                &["has no attribute WebsiteURL"],
            ),
            (
                "!GetAtt SenderIdentity.DkimDNSTokenName1",
                &["has no attribute DkimDNSTokenName1"],
            ),
        ]);
    }
}
