//! What a test binary runs on: the modules it registers and the functions
//! it serves, declared once as a [`Setup`] so that every test of the
//! binary gets the same environment (the kernel knows no module; the
//! modules' `testkit`s say how to serve their functions).

use super::TestEnv;
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use opsflow_platform::registry::Registry;
use std::collections::HashMap;
use std::future::Future;

/// How a module serves its functions to a [`TestEnv`] (a module testkit's
/// `SERVE`).
pub type Serve = for<'a> fn(&'a mut TestEnv) -> BoxFuture<'a, ()>;

/// A test binary's environment: registered modules, then served functions.
pub struct Setup {
    /// The modules' `register` functions, applied to the apps the
    /// functions are built on (as the consumer functions' mains do).
    pub modules: &'static [fn(&mut Registry)],
    /// The functions the tests call, by module.
    pub functions: &'static [Serve],
}

impl Setup {
    /// A fresh table, apps and keys, serving [`functions`](Self::functions).
    pub async fn env(&self) -> TestEnv {
        self.env_with(|_| {}).await
    }

    /// [`env`](Self::env), with `tweak` applied to the environment first.
    pub async fn env_with(&self, tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestEnv {
        let mut env = TestEnv::with_vars(tweak).await;
        for register in self.modules {
            env.register_module(*register);
        }
        for serve in self.functions {
            serve(&mut env).await;
        }
        env
    }
}

impl TestEnv {
    /// Routes calls to `function` to `handle` on `context` (a function's
    /// handler and the context its main builds).
    pub fn serve_on<C, F, R>(
        &mut self,
        function: &'static str,
        context: &'static C,
        handle: F,
    ) -> &mut Self
    where
        C: Sync + 'static,
        F: Fn(&'static C, Request) -> R + Send + Sync + 'static,
        R: Future<Output = Response<Body>> + Send + 'static,
    {
        self.serve(
            function,
            Box::new(move |req| Box::pin(handle(context, req))),
        )
    }
}
