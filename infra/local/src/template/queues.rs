//! SQS queues (`AWS::SQS::Queue`): name, FIFO, visibility timeout,
//! retention and redrive policy. Invariant: a queue's name is valid and
//! unique and ends in `.fifo` exactly when the queue is FIFO, and a redrive
//! policy names another created queue of the template (never the queue
//! itself) with a receive count from 1 to 1000.

use super::properties::ResourceKeys;
use super::reader::Reader;
use super::values::intrinsic;
use super::{QueueDef, Redrive, QUEUE};
use anyhow::{anyhow, bail, Result};
use yaml_serde::{Mapping, Value};

const QUEUE_KEYS: ResourceKeys = ResourceKeys {
    handled: &[
        "QueueName",
        "FifoQueue",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "RedrivePolicy",
    ],
    harmless: &[
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
        "Tags",
        "ReceiveMessageWaitTimeSeconds",
        "MaximumMessageSize",
    ],
    refused: &[],
};

impl Reader<'_> {
    pub(super) fn queue(&self, id: &str, def: &Mapping) -> Result<QueueDef> {
        let (pp, props, warnings) = self.resource_properties(id, def, &QUEUE_KEYS)?;
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
        // The usual form is a mapping whose target is `!GetAtt Dlq.Arn`: read
        // it unresolved, so the target stays a logical id. Anything else is
        // resolved first, possibly to a JSON text.
        let policy = if let (Value::Mapping(policy), None) = (value, intrinsic(value)) {
            policy.clone()
        } else {
            let resolved = match self.resolve(value, path)? {
                None | Some(Value::Null) => return Ok(None),
                Some(Value::String(text)) => serde_json::from_str::<Value>(&text)
                    .map_err(|e| anyhow!("{path}: invalid JSON: {e}"))?,
                Some(other) => other,
            };
            let Value::Mapping(policy) = resolved else {
                bail!("{path}: expected a mapping");
            };
            policy
        };
        let target = policy
            .get("deadLetterTargetArn")
            .ok_or_else(|| anyhow!("{path}.deadLetterTargetArn: missing"))?;
        let dead_letter_queue = self.target(
            target,
            &format!("{path}.deadLetterTargetArn"),
            &[QUEUE],
            &["Arn"],
            "a dead-letter queue (!GetAtt Queue.Arn)",
        )?;
        let max_receive_count = self
            .opt_number(&policy, "maxReceiveCount", path, 1..=1000)?
            .ok_or_else(|| anyhow!("{path}.maxReceiveCount: missing"))?;
        Ok(Some(Redrive {
            dead_letter_queue,
            max_receive_count,
        }))
    }
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

#[cfg(test)]
mod tests {
    use crate::template::test_support::{assert_refused, ctx, resources};
    use crate::template::{parse, QueueDef, Redrive};

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
        assert_refused(&[
            (
                &resources("  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: plain, FifoQueue: true}\n"),
                &["Resources.Q.Properties.QueueName"],
            ),
            (
                &resources("  Q:\n    Type: AWS::SQS::Queue\n    Properties: {RedrivePolicy: {deadLetterTargetArn: arn:aws:sqs:x:1:gone, maxReceiveCount: 1}}\n"),
                &["Resources.Q.Properties.RedrivePolicy.deadLetterTargetArn"],
            ),
        ]);
    }
}
