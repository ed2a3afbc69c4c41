//! A resource's `Properties` and the typed reads of one property: text,
//! whole numbers within a range, booleans, and the sorting of keys into
//! handled, harmless and refused. Invariant: an absent property and one
//! resolving to `AWS::NoValue` or null read the same (`None`), a present
//! one is resolved before it is checked, and every refusal names the
//! property's place (`Resources.Id.Properties.Key`).

use super::reader::Reader;
use super::values::{key_text, scalar_text};
use anyhow::{bail, Result};
use std::ops::RangeInclusive;
use yaml_serde::{Mapping, Value};

impl Reader<'_> {
    /// A resource's `Properties` with its keys sorted by `keys`: returns
    /// their path (`Resources.{id}.Properties`), the mapping, and the
    /// warnings about keys not applied, for the caller to report once the
    /// resource is read.
    pub(super) fn resource_properties<'m>(
        &self,
        id: &str,
        def: &'m Mapping,
        keys: &ResourceKeys,
    ) -> Result<(String, &'m Mapping, Vec<String>)> {
        let pp = format!("Resources.{id}.Properties");
        let props = self.properties(def, &pp)?;
        let mut warnings = Vec::new();
        check_keys(
            props,
            &pp,
            keys.handled,
            keys.harmless,
            keys.refused,
            &mut warnings,
        )?;
        Ok((pp, props, warnings))
    }

    pub(super) fn properties<'m>(&self, def: &'m Mapping, path: &str) -> Result<&'m Mapping> {
        static EMPTY: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
        match def.get("Properties") {
            None | Some(Value::Null) => Ok(EMPTY.get_or_init(Mapping::new)),
            Some(Value::Mapping(props)) => Ok(props),
            Some(_) => bail!("{path}: expected a mapping"),
        }
    }

    /// A property resolved to text; `None` when absent or `AWS::NoValue`.
    pub(super) fn opt_text(
        &self,
        props: &Mapping,
        key: &str,
        path: &str,
    ) -> Result<Option<String>> {
        let path = format!("{path}.{key}");
        match props.get(key) {
            None => Ok(None),
            Some(value) => match self.resolve(value, &path)? {
                None | Some(Value::Null) => Ok(None),
                Some(value) => Ok(Some(scalar_text(&value, &path)?)),
            },
        }
    }

    /// A property resolved to a mapping, with its path; `None` when absent,
    /// `AWS::NoValue` or null.
    pub(super) fn opt_mapping(
        &self,
        props: &Mapping,
        key: &str,
        path: &str,
    ) -> Result<Option<(Mapping, String)>> {
        let path = format!("{path}.{key}");
        let Some(value) = props.get(key) else {
            return Ok(None);
        };
        match self.resolve(value, &path)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Mapping(map)) => Ok(Some((map, path))),
            Some(_) => bail!("{path}: expected a mapping"),
        }
    }

    pub(super) fn opt_number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
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

    pub(super) fn opt_bool(&self, props: &Mapping, key: &str, path: &str) -> Result<Option<bool>> {
        let Some(text) = self.opt_text(props, key, path)? else {
            return Ok(None);
        };
        match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => bail!("{path}.{key}: expected true or false, got {text:?}"),
        }
    }
}

/// The keys a kind of resource reads (`handled`), ignores without a word
/// (`harmless`) and refuses (`refused`, with the reason); any other key is
/// a warning.
pub(super) struct ResourceKeys {
    pub(super) handled: &'static [&'static str],
    pub(super) harmless: &'static [&'static str],
    pub(super) refused: &'static [(&'static str, &'static str)],
}

/// Reports keys of `props` that are neither handled nor known to be
/// harmless: `refused` ones are errors, the rest warnings.
pub(super) fn check_keys(
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
