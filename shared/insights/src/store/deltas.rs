//! How each statistic moves: the `ADD` of one [`StatDelta`] on the items
//! of [`super::statistics`], with the attribute names they use.

use super::statistics::{hour_sk, requester_pk, workflow_pk, StatDelta, HOUR_KEPT, STATS_SK};
use crate::domain::AmountHistory;
use opsflow_platform::store::{n, Expr, Store, StoreError};

/// The update items of one delta.
pub(super) fn delta_items(
    store: &Store,
    delta: &StatDelta,
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, StoreError> {
    let mut items = Vec::new();
    match delta {
        StatDelta::Filed {
            workflow_id,
            requester_id,
            seen_requests,
            seen_filed,
            amount,
            fields,
            at,
        } => {
            let mut text = String::from("ADD requests :one");
            let mut update = Expr::new("")
                .value(":one", n(1))
                .value(":seen", n(seen_requests));
            if let Some(amount) = amount {
                let bucket = AmountHistory::bucket_of(*amount);
                text = format!("{text}, #bucket :one");
                update = update.name("#bucket", bucket_name(bucket));
            }
            if !fields.is_empty() {
                text.push_str(", #fields :fields");
                update = update.name("#fields", "fields").value(
                    ":fields",
                    aws_sdk_dynamodb::types::AttributeValue::Ss(fields.clone()),
                );
            }
            update.text = text;
            items.push(store.update_if(
                workflow_pk(workflow_id),
                STATS_SK,
                &update,
                "attribute_not_exists(requests) OR requests = :seen",
            )?);
            items.push(
                store.update_if(
                    requester_pk(requester_id),
                    STATS_SK,
                    &Expr::new("ADD filed :one")
                        .value(":one", n(1))
                        .value(":seen", n(seen_filed)),
                    "attribute_not_exists(filed) OR filed = :seen",
                )?,
            );
            items.push(
                store.update(
                    requester_pk(requester_id),
                    &hour_sk(*at),
                    &Expr::new("ADD #count :one SET expires_at = :expires")
                        .name("#count", "count")
                        .value(":one", n(1))
                        .value(":expires", n((*at + HOUR_KEPT).unix_timestamp())),
                )?,
            );
        }
        StatDelta::StepDecided {
            workflow_id,
            step,
            seconds,
        } => {
            let names = step_names(*step);
            items.push(
                store.update(
                    workflow_pk(workflow_id),
                    STATS_SK,
                    &Expr::new("ADD #n :one, #t :seconds")
                        .name("#n", names.0)
                        .name("#t", names.1)
                        .value(":one", n(1))
                        .value(":seconds", n(seconds.max(0.0).round() as i64)),
                )?,
            );
        }
        StatDelta::Concluded {
            requester_id,
            rejected,
        } => {
            let text = if *rejected {
                "ADD decided :one, rejected :one"
            } else {
                "ADD decided :one"
            };
            items.push(store.update(
                requester_pk(requester_id),
                STATS_SK,
                &Expr::new(text).value(":one", n(1)),
            )?);
        }
    }
    Ok(items)
}

/// The attribute of an amount bucket (`a<bucket>`, up to `a96`).
fn bucket_name(bucket: u32) -> &'static str {
    const NAMES: [&str; 100] = bucket_names();
    NAMES[bucket.min(99) as usize]
}

/// `a0` … `a99`, made once at compile time.
const fn bucket_names() -> [&'static str; 100] {
    macro_rules! names {
        ($($tens:literal),*) => {
            [$(
                concat!("a", $tens, "0"), concat!("a", $tens, "1"), concat!("a", $tens, "2"),
                concat!("a", $tens, "3"), concat!("a", $tens, "4"), concat!("a", $tens, "5"),
                concat!("a", $tens, "6"), concat!("a", $tens, "7"), concat!("a", $tens, "8"),
                concat!("a", $tens, "9"),
            )*]
        };
    }
    names!("", "1", "2", "3", "4", "5", "6", "7", "8", "9")
}

/// The attributes of step `step` (`s<step>n`, `s<step>t`; steps 0–9, as
/// workflows have at most ten).
pub(super) fn step_names(step: usize) -> (&'static str, &'static str) {
    const COUNTS: [&str; 10] = [
        "s0n", "s1n", "s2n", "s3n", "s4n", "s5n", "s6n", "s7n", "s8n", "s9n",
    ];
    const TIMES: [&str; 10] = [
        "s0t", "s1t", "s2t", "s3t", "s4t", "s5t", "s6t", "s7t", "s8t", "s9t",
    ];
    let step = step.min(9);
    (COUNTS[step], TIMES[step])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_cover_every_bucket_and_step() {
        assert_eq!(bucket_name(0), "a0");
        assert_eq!(bucket_name(9), "a9");
        assert_eq!(bucket_name(10), "a10");
        assert_eq!(bucket_name(96), "a96");
        assert_eq!(step_names(3), ("s3n", "s3t"));
    }
}
