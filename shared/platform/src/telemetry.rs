//! Tracing set-up for functions: JSON lines when Lambda's log format is
//! JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`, as the template sets), each with its
//! time, level, invocation, X-Ray trace, cold start and the ids of the
//! request or event it is about ([`line`]); plain text otherwise (the
//! local runtime's terminal). The level from `RUST_LOG`, else Lambda's
//! `AWS_LAMBDA_LOG_LEVEL`, else `info`. Each request runs in a span with
//! its request id and correlation id (`http::dispatch`), so every line it
//! logs carries both.

pub mod line;

use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok())
        .map(|level| level.to_lowercase())
        .and_then(|level| EnvFilter::try_new(level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if json {
        builder
            .fmt_fields(JsonFields::new())
            .event_format(line::JsonLine::default())
            .try_init()
    } else {
        builder.without_time().try_init()
    };
}
