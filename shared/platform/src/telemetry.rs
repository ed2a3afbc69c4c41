//! Tracing set-up for functions: JSON lines when Lambda's log format is
//! JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`, as the template sets), each with its
//! time, level, invocation, X-Ray trace, cold start and the ids of the
//! request or event it is about ([`line`]); plain text otherwise (the
//! local runtime's terminal). The level from `RUST_LOG`, else `info`
//! (never Lambda's `AWS_LAMBDA_LOG_LEVEL`: the template leaves Lambda's own
//! filter at TRACE, so that this is the only one). Each request runs in a span with
//! its request id and correlation id (`http::dispatch`), so every line it
//! logs carries both.

pub mod line;

use tracing::level_filters::LevelFilter;
use tracing::Level;
use tracing_subscriber::filter::{filter_fn, FilterExt};
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The level filter: `RUST_LOG`, else info.
fn level_filter() -> EnvFilter {
    std::env::var("RUST_LOG")
        .ok()
        .map(|level| level.to_lowercase())
        .and_then(|level| EnvFilter::try_new(level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"))
}

/// Whether Lambda takes this function's output as JSON lines (the
/// template's `LogFormat: JSON`): the log lines and the metrics follow it.
pub(crate) fn json_logs() -> bool {
    std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"))
}

pub fn init() {
    // Spans at INFO and above stay on whatever the level: they carry the
    // invocation's, request's and message's ids, which a WARN or ERROR
    // line needs most. The level filters the lines themselves.
    let spans = filter_fn(|meta| meta.is_span() && *meta.level() <= Level::INFO)
        .with_max_level_hint(LevelFilter::INFO);
    let filter = level_filter().or(spans);
    let json = json_logs();
    let registry = tracing_subscriber::registry();
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if json {
        let layer = tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(line::JsonLine::default());
        registry.with(layer.with_filter(filter)).try_init()
    } else {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_target(false)
            .without_time();
        registry.with(layer.with_filter(filter)).try_init()
    };
}
