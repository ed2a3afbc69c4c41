//! DynamoDB tables: `AWS::DynamoDB::Table` (attributes, key schema, global
//! secondary indexes, stream, time to live) and
//! `AWS::Serverless::SimpleTable`. Invariant: a table is accepted only as
//! DynamoDB would create it: a valid and unique name, every key attribute
//! defined and every defined attribute used as a key, unique index names,
//! known projection and stream view types, and no local secondary indexes.

use super::properties::ResourceKeys;
use super::reader::Reader;
use super::values::{field_text, scalar_text};
use super::{IndexDef, TableDef};
use anyhow::{anyhow, bail, Result};
use std::collections::{BTreeMap, BTreeSet};
use yaml_serde::{Mapping, Value};

const TABLE_KEYS: ResourceKeys = ResourceKeys {
    handled: &[
        "TableName",
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "StreamSpecification",
        "TimeToLiveSpecification",
    ],
    harmless: &[
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
    refused: &[(
        "LocalSecondaryIndexes",
        "local secondary indexes are not supported locally",
    )],
};

impl Reader<'_> {
    pub(super) fn table(&self, id: &str, def: &Mapping) -> Result<TableDef> {
        let (pp, props, warnings) = self.resource_properties(id, def, &TABLE_KEYS)?;
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
            let attribute = field_text(def, "AttributeName", &path)?;
            let kind = field_text(def, "AttributeType", &path)?;
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

        let stream_view_type = match self.opt_mapping(props, "StreamSpecification", &pp)? {
            None => None,
            Some((spec, path)) => {
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
        };

        let ttl_attribute = match self.opt_mapping(props, "TimeToLiveSpecification", &pp)? {
            None => None,
            Some((spec, path)) => {
                let enabled = self.opt_bool(&spec, "Enabled", &path)?.unwrap_or(false);
                let attribute = self.opt_text(&spec, "AttributeName", &path)?;
                match (enabled, attribute) {
                    (false, _) => None,
                    (true, Some(attribute)) => Some(attribute),
                    (true, None) => bail!("{path}.AttributeName: missing"),
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
            let attribute = field_text(key, "AttributeName", &key_path)?;
            let slot = match field_text(key, "KeyType", &key_path)?.as_str() {
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
        let name = field_text(index, "IndexName", path)?;
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

    pub(super) fn simple_table(&self, id: &str, def: &Mapping) -> Result<TableDef> {
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

#[cfg(test)]
mod tests {
    use crate::template::test_support::{assert_refused, ctx, resources, PK_KEY};
    use crate::template::{parse, IndexDef};

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

    #[test]
    fn table_errors() {
        assert_refused(&[
            (
                &resources(&format!("  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: ab\n{PK_KEY}")),
                &["Resources.T.Properties.TableName", "3 to 255"],
            ),
            (
                &resources(&format!("  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n{PK_KEY}      LocalSecondaryIndexes: []\n")),
                &["Resources.T.Properties.LocalSecondaryIndexes: local secondary indexes are not supported"],
            ),
            (
                &resources("  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"),
                &["key attribute id is not in AttributeDefinitions"],
            ),
        ]);
    }
}
