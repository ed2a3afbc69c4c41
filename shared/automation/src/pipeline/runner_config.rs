//! The rule runner as the functions that carry out rule actions build it:
//! from their configuration (`Needs::action_queues`), with the action
//! targets of the modules whose entities rules act on.

use super::automation_runner::Runner;
use crate::config::Config;
use crate::store::Store;
use opsflow_platform::registry::Registry;

impl Runner {
    /// A runner over the entity table that sends rule actions' messages to
    /// `WEBHOOKS_QUEUE_URL` and (if set) `JOBS_QUEUE_URL`. Actions on other
    /// modules' entities need their targets registered
    /// ([`Runner::with_registry`]).
    pub fn from_config(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let webhooks = config
            .webhooks_queue_url
            .ok_or_else(|| anyhow::anyhow!("WEBHOOKS_QUEUE_URL is not configured"))?;
        Ok(Runner::new(
            Store::new(aws_sdk_dynamodb::Client::new(sdk), config.table_name),
            aws_sdk_sqs::Client::new(sdk),
            config.jobs_queue_url,
            webhooks,
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
