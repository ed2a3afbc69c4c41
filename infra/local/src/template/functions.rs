//! `AWS::Serverless::Function` resources: SAM's `Globals` merge, the
//! cargo binary, environment, memory, timeout, architecture and events of
//! each function, its reserved concurrency, and the context's environment
//! overrides. Invariant: only
//! `rust-cargolambda` functions naming their binary are accepted; a
//! function's environment holds resolved text only, with the overrides
//! applied to the variables it declares and to every `AWS_…` variable; and
//! a variable still holding a dynamic reference is reported.

use super::reader::Reader;
use super::values::{intrinsic, key_text, scalar_text};
use super::FunctionDef;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use yaml_serde::{Mapping, Value};

/// SAM's `Globals` merge: mappings merge key by key, anything else
/// (scalars, lists, intrinsic calls) is taken from the resource.
pub(super) fn merge_globals(global: &Value, own: &Value) -> Value {
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

/// A resource's `Properties` (an empty mapping when absent) with the
/// `Globals` section of its kind merged in; `pp` names its place.
pub(super) fn properties_with_globals(
    def: &Mapping,
    globals: Option<&Value>,
    pp: &str,
) -> Result<Mapping> {
    let own = def
        .get("Properties")
        .cloned()
        .unwrap_or_else(|| Value::Mapping(Mapping::new()));
    let merged = match globals {
        Some(global) => merge_globals(global, &own),
        None => own,
    };
    let Value::Mapping(props) = merged else {
        bail!("{pp}: expected a mapping");
    };
    Ok(props)
}

impl Reader<'_> {
    pub(super) fn function(&self, id: &str, def: &Mapping) -> Result<FunctionDef> {
        let base = format!("Resources.{id}");
        let pp = format!("{base}.Properties");
        let props = properties_with_globals(def, self.globals_function, &pp)?;

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
            reserved_concurrency: self.reserved_concurrency(&props, &pp)?,
            events,
        })
    }

    /// `ReservedConcurrentExecutions`. Zero (a function that never runs)
    /// is refused: locally it would run all the same.
    fn reserved_concurrency(&self, props: &Mapping, pp: &str) -> Result<Option<u32>> {
        self.opt_number(props, "ReservedConcurrentExecutions", pp, 1..=10_000)
    }

    /// Applies the context's environment overrides to every function (to
    /// the variables it declares, and to every `AWS_…` variable), then warns
    /// of each variable still holding a dynamic reference.
    pub(super) fn apply_environment_overrides(&self, functions: &mut [FunctionDef]) {
        for function in functions.iter_mut() {
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
    }
}

#[cfg(test)]
mod tests {
    use crate::template::parse;
    use crate::template::test_support::{
        assert_refused, ctx, function_with, resources, with_variables, FUNCTION_HEAD,
    };

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
    fn reserved_concurrency_is_read_and_zero_or_nonsense_is_refused() {
        let template = parse(
            &function_with("      ReservedConcurrentExecutions: 5\n"),
            &ctx(),
        )
        .unwrap();
        assert_eq!(
            template.function("Fn").unwrap().reserved_concurrency,
            Some(5)
        );
        for bad in ["0", "-1", "many"] {
            let yaml = function_with(&format!("      ReservedConcurrentExecutions: {bad}\n"));
            assert_refused(&[(
                &yaml,
                &["Resources.Fn.Properties.ReservedConcurrentExecutions"],
            )]);
        }
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
        assert_eq!(f.reserved_concurrency, None);
    }

    #[test]
    fn functions_must_be_rust_cargolambda_with_a_binary() {
        assert_refused(&[
            (
                &resources("  Fn:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: rust-cargolambda\n"),
                &["Resources.Fn.Metadata.BuildProperties.Binary"],
            ),
            (
                &resources("  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n"),
                &["Resources.Fn.Metadata.BuildMethod", "rust-cargolambda"],
            ),
        ]);
    }
}
