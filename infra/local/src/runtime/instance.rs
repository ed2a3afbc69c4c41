//! A function's instances: one child process each, running the function's
//! binary with Lambda's environment and its own emulated Runtime API.
//! An instance is checked out of the pool's idle list only while its
//! process is alive; dropping an instance kills its process.

use super::api::{InstanceApi, Pending};
use super::FunctionPool;
use anyhow::Context;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, watch};

/// One running child process and its Runtime API.
pub(super) struct Instance {
    pub(super) queue: mpsc::Sender<Pending>,
    pub(super) api: Arc<InstanceApi>,
    pub(super) pid: Option<u32>,
    /// `Some(description)` once the process has exited.
    pub(super) exited: watch::Receiver<Option<String>>,
    pub(super) spawned_at: Instant,
    pub(super) initialised: bool,
    /// Dropping it kills the process.
    pub(super) _kill: oneshot::Sender<()>,
    pub(super) server: tokio::task::JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Instance {
    pub(super) fn has_exited(&self) -> bool {
        self.exited.borrow().is_some()
    }

    pub(super) async fn wait_exit(&mut self) -> String {
        match self.exited.wait_for(Option::is_some).await {
            Ok(status) => status.clone().unwrap_or_default(),
            Err(_) => "the process was lost".to_owned(),
        }
    }
}

impl FunctionPool {
    pub(super) fn log(&self, line: &str) {
        if self.options.print_logs {
            eprintln!("[{}] {line}", self.def.logical_id);
        }
    }

    pub(super) fn environment(&self, api_addr: &str) -> BTreeMap<String, String> {
        let def = &self.def;
        let options = &self.options;
        let mut env = BTreeMap::new();
        let lambda = [
            ("AWS_LAMBDA_RUNTIME_API", api_addr.to_owned()),
            ("AWS_LAMBDA_FUNCTION_NAME", def.function_name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", def.memory_mb.to_string()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", def.function_name),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("local/[$LATEST]{}", uuid::Uuid::new_v4().simple()),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("AWS_REGION", options.region.clone()),
            ("AWS_DEFAULT_REGION", options.region.clone()),
            ("_HANDLER", "bootstrap".to_owned()),
            (
                "LAMBDA_TASK_ROOT",
                options.binaries_dir.display().to_string(),
            ),
            ("TZ", ":UTC".to_owned()),
            ("LANG", "en_US.UTF-8".to_owned()),
        ];
        env.extend(lambda.into_iter().map(|(k, v)| (k.to_owned(), v)));
        env.extend(options.base_environment.clone());
        env.extend(def.environment.clone());
        env
    }

    pub(super) async fn spawn(&self) -> anyhow::Result<Instance> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a Runtime API port")?;
        let api_addr = listener.local_addr()?.to_string();
        let (queue, receiver) = mpsc::channel(1);
        let api = InstanceApi::new(receiver);
        let router = api.router();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });

        let mut child = Command::new(&self.binary)
            .env_clear()
            .envs(self.environment(&api_addr))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let pid = child.id();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let name = self.def.logical_id.clone();
            let print = self.options.print_logs;
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if print {
                        eprintln!("[{name}] {line}");
                    }
                }
            });
        }
        let (exit_tx, exited) = watch::channel(None);
        let (kill, kill_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                _ = kill_rx => {
                    let _ = child.kill().await;
                    child.wait().await
                }
            };
            let description = match status {
                Ok(status) => status.to_string(),
                Err(error) => error.to_string(),
            };
            let _ = exit_tx.send(Some(description));
        });
        Ok(Instance {
            queue,
            api,
            pid,
            exited,
            spawned_at: Instant::now(),
            initialised: false,
            _kill: kill,
            server,
        })
    }

    /// A warm instance if one is idle and alive, else a new one.
    pub(super) async fn checkout(&self) -> anyhow::Result<Instance> {
        let mut idle = self.idle.lock().await;
        while let Some(instance) = idle.pop() {
            if !instance.has_exited() {
                return Ok(instance);
            }
        }
        drop(idle);
        self.spawn().await
    }
}
