//! Query string parameters: each given at most once, only those a route
//! takes, and times read as RFC 3339.

use crate::error::{ApiError, ApiResult};
use lambda_http::{Request, RequestExt};

/// A query string parameter. A repeated parameter is refused rather than
/// silently picking one of its values.
pub fn query_param<'r>(req: &'r Request, name: &str) -> ApiResult<Option<&'r str>> {
    let Some(params) = req.query_string_parameters_ref() else {
        return Ok(None);
    };
    match params.all(name) {
        None => Ok(None),
        Some(values) if values.len() == 1 => Ok(Some(values[0])),
        Some(_) => Err(ApiError::bad_request(name, "must be given at most once")),
    }
}

/// A query parameter holding an RFC 3339 time (400 when unreadable), in
/// UTC and within [`clock::EARLIEST`](crate::clock::EARLIEST)..=
/// [`clock::LATEST`](crate::clock::LATEST) (422 otherwise).
pub fn time_param(req: &Request, name: &str) -> ApiResult<Option<time::OffsetDateTime>> {
    let Some(raw) = query_param(req, name)? else {
        return Ok(None);
    };
    // A `+` of an offset arrives as a space unless the client encoded it.
    let at = time::OffsetDateTime::parse(
        &raw.replace(' ', "+"),
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| {
        ApiError::bad_request(name, "must be an RFC 3339 time, e.g. 2026-11-22T09:15:02Z")
    })?;
    crate::clock::checked_utc(at).map(Some).ok_or_else(|| {
        ApiError::invalid_field(
            name,
            "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
        )
    })
}

/// Refuses query parameters the route does not know, so a typo such as
/// `?rol=admin` is an error and not a silently unfiltered list; the
/// problem names the parameter and those the route takes.
pub fn only_query_params(req: &Request, known: &[&str]) -> ApiResult<()> {
    if let Some(params) = req.query_string_parameters_ref() {
        for (name, _) in params.iter() {
            if !known.contains(&name) {
                let message = match known {
                    [] => "is not a known query parameter: this route takes none".to_owned(),
                    _ => format!(
                        "is not a known query parameter: this route takes {}",
                        known.join(", ")
                    ),
                };
                return Err(ApiError::bad_request(name, message));
            }
        }
    }
    Ok(())
}
