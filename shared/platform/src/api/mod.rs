//! What every HTTP function shares: its `main` ([`run`]), list paging,
//! `Idempotency-Key` replay and the probes. Each module's `handle` takes the
//! function's context ([`Context`]) and an API Gateway (HTTP API, payload 2.0)
//! request, dispatches on the route key and always returns a response:
//! errors become problem documents in [`crate::http::dispatch`].

pub mod health;
pub mod idempotency;

use crate::registry::Registry;
use crate::{Api, App};
use futures::Future;
use lambda_http::{Body, Request, Response};

/// What a route's handler answers: a response, or an error that
/// [`crate::http::dispatch`] turns into a problem document.
pub type ApiReply = crate::ApiResult<Response<Body>>;

/// What a function's handlers are given, built once per cold start from
/// the [`App`] (and the SDK configuration, for more clients). The handler's
/// context type says what it may use: a function whose configuration lacks
/// a part fails its cold start naming the variable, and a handler cannot
/// reach a capability its context does not hold.
pub trait Context: Sized + Sync + 'static {
    fn build(
        app: App,
        sdk: &aws_config::SdkConfig,
    ) -> impl Future<Output = anyhow::Result<Self>> + Send;
}

/// The probes: the table and nothing more.
impl Context for App {
    async fn build(app: App, _: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        Ok(app)
    }
}

/// Every API function: it verifies access tokens and signs list cursors.
impl Context for Api {
    async fn build(app: App, _: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        Api::new(app)
    }
}

/// Answers a request to a function whose every route needs an access
/// token: CORS and problem documents ([`crate::http::dispatch`]), the
/// caller (a valid token of a live session), then `route` with the
/// function's context.
///
/// The route runs side by side with the session check
/// ([`crate::app::with_live_session`]): whatever it reads costs no extra
/// round trip, whatever it writes waits for the check or carries its
/// conditions ([`crate::auth::gate`]), and nothing is answered before the
/// session is found live (or a carried transaction proved it live when it
/// committed), so a session that has ended never writes and never gets a
/// 2xx.
pub async fn serve<'a, C, F, Fut>(ctx: &'a C, req: Request, route: F) -> Response<Body>
where
    C: AsRef<Api>,
    F: FnOnce(&'a C, crate::auth::Principal, crate::http::RequestMeta, Request) -> Fut,
    Fut: Future<Output = ApiReply> + 'a,
{
    crate::http::dispatch(&ctx.as_ref().cors, req, |meta, req| async move {
        let api = ctx.as_ref();
        let principal = crate::app::verify_token(&api.verifier, &req)?;
        // On the heap: side by side, the two futures' states are held at
        // once, and a route's can be large (and deep: the compiler lays
        // out each boxed future on its own).
        let work = Box::pin(route(ctx, principal.clone(), meta, req));
        Box::pin(crate::app::with_live_session(
            &api.app.store,
            &principal,
            work,
        ))
        .await
    })
    .await
}

/// The whole `main` of an HTTP function: tracing, configuration, clients
/// and the handler's context built once per cold start, then every
/// request to `handler`.
pub async fn run<C, F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    C: Context,
    F: Fn(&'static C, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    run_with_modules(&[], handler).await
}

/// [`run`] for a function that serves other modules' entities (the audit
/// log, `execute`): each module's `register` function adds to the app's
/// registry before the context is built.
pub async fn run_with_modules<C, F, Fut>(
    modules: &[fn(&mut Registry)],
    handler: F,
) -> Result<(), lambda_http::Error>
where
    C: Context,
    F: Fn(&'static C, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    crate::telemetry::init();
    let config = crate::config::Config::from_env()?;
    let sdk = crate::store::sdk_config().await;
    let app = App::new(config, &sdk).with_registry(modules);
    // Kept for the life of the process, like the clients inside it.
    let context: &'static C = Box::leak(Box::new(C::build(app, &sdk).await?));
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        Ok::<_, lambda_http::Error>(handler(context, req).await)
    }))
    .await
}

/// One page of a list route (DESIGN §5): reads `?limit=` and `?cursor=`
/// (a cursor only valid for `scope`, the query it came from), fetches the
/// page, and answers `{"items": […], "next_cursor": …}`.
pub async fn paged<T, V, F, Fut>(
    app: &Api,
    req: &Request,
    scope: &str,
    fetch: F,
    view: impl Fn(&T) -> V,
) -> ApiReply
where
    V: serde::Serialize,
    F: FnOnce(i32, Option<crate::store::Item>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<crate::store::Item>), crate::store::StoreError>>,
{
    let limit = crate::http::page_limit(req)?;
    let cursors = &app.cursors;
    let start = crate::http::query_param(req, "cursor")?
        .map(|cursor| cursors.decode(scope, cursor))
        .transpose()?;
    let (records, next) = fetch(limit, start).await?;
    let next_cursor = next.map(|key| cursors.encode(scope, &key)).transpose()?;
    crate::http::json(
        http::StatusCode::OK,
        &crate::http::Page {
            items: records.iter().map(view).collect(),
            next_cursor,
        },
    )
}

/// [`paged`] for listings that resume from a sort key (see
/// [`crate::store::Store::query_merged`]): the cursor carries the key.
pub async fn paged_by_key<T, V, F, Fut>(
    app: &Api,
    req: &Request,
    scope: &str,
    fetch: F,
    view: impl Fn(&T) -> V,
) -> ApiReply
where
    V: serde::Serialize,
    F: FnOnce(usize, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), crate::store::StoreError>>,
{
    const AFTER: &str = "after";
    paged(
        app,
        req,
        scope,
        |limit, start| async move {
            let after = match start.as_ref().and_then(|item| item.get(AFTER)) {
                Some(aws_sdk_dynamodb::types::AttributeValue::S(after)) => Some(after.clone()),
                _ => None,
            };
            let (records, next) = fetch(usize::try_from(limit).unwrap_or(1), after).await?;
            let next = next.map(|after| {
                crate::store::Item::from([(AFTER.to_owned(), crate::store::s(after))])
            });
            Ok((records, next))
        },
        view,
    )
    .await
}
