//! S3 buckets (`AWS::S3::Bucket`): their name, given by `BucketName` or
//! generated as CloudFormation would (from the stack name and the logical
//! id, in lowercase, without its random suffix so that it stays the same
//! from one run to the next). Invariant: a bucket's name is one S3 accepts
//! (3 to 63 lowercase letters, digits, `.` or `-`, starting and ending with
//! a letter or digit, no `..`, not an IP address, no reserved prefix or
//! suffix), so a template that works locally is not refused in AWS for its
//! bucket names.
//!
//! Bucket policies (`AWS::S3::BucketPolicy`) are not read at all: they are
//! among the types with no local meaning (see `IGNORED_TYPES`).

use super::properties::ResourceKeys;
use super::reader::Reader;
use super::{BucketDef, STACK_NAME};
use anyhow::{bail, Result};
use yaml_serde::Mapping;

const BUCKET_KEYS: ResourceKeys = ResourceKeys {
    handled: &["BucketName"],
    // What protects or tidies a bucket in AWS but changes nothing a function
    // sees through the S3 API: moto neither encrypts at rest, nor blocks
    // public access, nor runs lifecycle rules (objects never expire locally).
    harmless: &[
        "BucketEncryption",
        "PublicAccessBlockConfiguration",
        "OwnershipControls",
        "LifecycleConfiguration",
        "IntelligentTieringConfigurations",
        "MetricsConfigurations",
        "AnalyticsConfigurations",
        "InventoryConfigurations",
        "LoggingConfiguration",
        "Tags",
    ],
    refused: &[],
};

/// The longest bucket name S3 accepts.
const MAX_NAME: usize = 63;

/// The name of a bucket without `BucketName`: `opsflow-local-<id>` in
/// lowercase, cut to S3's limit (CloudFormation adds a random suffix,
/// which would change the bucket on every run).
pub(super) fn generated_bucket_name(id: &str) -> String {
    let name: String = format!("{STACK_NAME}-{id}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(MAX_NAME)
        .collect();
    name.trim_end_matches('-').to_owned()
}

impl Reader<'_> {
    pub(super) fn bucket(&self, id: &str, def: &Mapping) -> Result<BucketDef> {
        let (pp, _props, warnings) = self.resource_properties(id, def, &BUCKET_KEYS)?;
        let name = self.name_of(id, &pp)?;
        check_bucket_name(&name, &format!("{pp}.BucketName"))?;
        for warning in warnings {
            self.warn(warning);
        }
        Ok(BucketDef {
            logical_id: id.to_owned(),
            name,
        })
    }
}

/// S3's naming rules for general purpose buckets.
fn check_bucket_name(name: &str, path: &str) -> Result<()> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=MAX_NAME).contains(&name.len())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        || !edge_ok(name.chars().next())
        || !edge_ok(name.chars().last())
    {
        bail!(
            "{path}: bucket name {name:?} must be 3 to {MAX_NAME} lowercase letters, digits, '.' \
             or '-', starting and ending with a letter or digit"
        );
    }
    if name.contains("..") {
        bail!("{path}: bucket name {name:?} has two adjacent periods");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        bail!("{path}: bucket name {name:?} is formatted as an IP address");
    }
    let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"]
        .into_iter()
        .find(|prefix| name.starts_with(prefix));
    let reserved_suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        .into_iter()
        .find(|suffix| name.ends_with(suffix));
    if let Some(reserved) = reserved_prefix.or(reserved_suffix) {
        bail!("{path}: bucket name {name:?} uses {reserved:?}, which S3 reserves");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::generated_bucket_name;
    use crate::template::test_support::{assert_refused, ctx, resources, with_variables};
    use crate::template::{parse, BucketDef};

    #[test]
    fn buckets_are_named_by_the_template_or_after_their_logical_id() {
        let template = parse(&with_variables(&["X: a"]), &ctx()).unwrap();
        let names: Vec<(&str, &str)> = template
            .buckets
            .iter()
            .map(|b| (b.logical_id.as_str(), b.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("Reports", "reports-dev-111122223333-eu-west-1"),
                ("Scratch", "opsflow-local-scratch"),
            ]
        );
        // The policy is ignored locally, and so are the bucket's encryption
        // settings, without a warning.
        assert!(template
            .warnings
            .contains(&"ignored locally: ReportsPolicy (AWS::S3::BucketPolicy)".to_owned()));
        assert!(!template.warnings.iter().any(|w| w.contains("Reports.")));
    }

    #[test]
    fn generated_names_are_valid_and_stable() {
        assert_eq!(
            generated_bucket_name("ReportsBucket"),
            "opsflow-local-reportsbucket"
        );
        let long = generated_bucket_name(&"A".repeat(80));
        assert_eq!(long.len(), 63);
        assert_eq!(long, generated_bucket_name(&"A".repeat(80)));
        let template = parse(
            &resources(&format!(
                "  {}:\n    Type: AWS::S3::Bucket\n",
                "B".repeat(70)
            )),
            &ctx(),
        )
        .unwrap();
        assert_eq!(template.buckets[0].name.len(), 63);
    }

    #[test]
    fn bucket_errors() {
        let bucket = |name: &str| {
            resources(&format!(
                "  B:\n    Type: AWS::S3::Bucket\n    Properties: {{BucketName: '{name}'}}\n"
            ))
        };
        assert_refused(&[
            (&bucket("Reports"), &["Resources.B.Properties.BucketName", "lowercase"]),
            (&bucket("ab"), &["3 to 63"]),
            (&bucket("-reports"), &["starting and ending"]),
            (&bucket("a..b"), &["two adjacent periods"]),
            (&bucket("192.168.5.4"), &["IP address"]),
            (&bucket("xn--reports"), &["reserves"]),
            (&bucket("reports-s3alias"), &["reserves"]),
            (
                &resources(
                    "  A:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: same}\n  B:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: same}\n",
                ),
                &["Resources.B: bucket name same is also used by A"],
            ),
        ]);
        let versioned = parse(
            &resources(
                "  B:\n    Type: AWS::S3::Bucket\n    Properties: {VersioningConfiguration: {Status: Enabled}}\n",
            ),
            &ctx(),
        )
        .unwrap();
        assert_eq!(
            versioned.bucket("B"),
            Some(&BucketDef {
                logical_id: "B".into(),
                name: "opsflow-local-b".into()
            })
        );
        assert!(versioned.warnings.contains(
            &"Resources.B.Properties.VersioningConfiguration: not applied locally".to_owned()
        ));
    }
}
