//! The rule runner as the functions that carry out rule actions build it:
//! from their configuration (`WEBHOOKS_QUEUE_URL`), with the action
//! targets of the modules whose entities rules act on (and the jobs
//! module's `enqueue_job`).

use super::automation_runner::Runner;
use crate::config::Config;
use crate::store::Store;
use opsflow_platform::registry::Registry;

impl Runner {
    /// A runner over the entity table that sends rule actions' notices to
    /// `WEBHOOKS_QUEUE_URL`. Actions on other modules' entities, and
    /// `enqueue_job`, need their targets registered
    /// ([`Runner::with_registry`]).
    pub fn from_config(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        Ok(Runner::new(
            // Execute runs rules from a route: its writes wait for the
            // route's session check like the store's (auth::gate).
            Store::new(
                opsflow_platform::store::client(sdk),
                config.table_name.clone(),
            ),
            aws_sdk_sqs::Client::new(sdk),
            config.vars.required("WEBHOOKS_QUEUE_URL")?.to_owned(),
        ))
    }

    /// The runner, with the action targets `register` adds (each module's
    /// `register` function).
    pub fn with_registry(mut self, register: &[fn(&mut Registry)]) -> Self {
        for add in register {
            add(&mut self.registry);
        }
        self
    }

    /// The runner, carrying out actions through `registry`'s targets.
    pub fn using(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_runner_needs_the_webhooks_queue() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let mut vars = HashMap::from([("TABLE_NAME".to_owned(), "t-1".to_owned())]);
        let runner = |vars: &HashMap<String, String>| {
            Runner::from_config(Config::from_vars(vars).unwrap(), &sdk)
        };
        let error = runner(&vars).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("environment variable WEBHOOKS_QUEUE_URL is required")
        );
        vars.insert("WEBHOOKS_QUEUE_URL".into(), "w".into());
        assert_eq!(runner(&vars).unwrap().webhooks_queue_url, "w");
    }
}
