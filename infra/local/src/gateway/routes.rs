//! Route compilation and matching: the template's routes become segment
//! patterns, and a request is served by the most specific route that matches
//! its method and decoded path.
//!
//! Invariant: of the routes matching a request, the one with the greatest
//! `Specificity` wins (no greedy variable, then more literals, then a
//! literal at the first differing segment, then the longer route, then an
//! exact method over `ANY`; on a tie, which only routes differing in their
//! parameter names can reach, the one declared first), and `$default` is
//! chosen only when no route matches at all.

use anyhow::Context as _;
use http::Method;

use super::DEFAULT_ROUTE_KEY;
use crate::template::HttpRoute;

/// The route serving a request, and the path parameters it captured.
pub(super) struct Selected<'a> {
    pub(super) route_key: &'a str,
    pub(super) function: &'a str,
    pub(super) path_parameters: Vec<(String, String)>,
}

/// The route serving `method` and `path` (already decoded), if any.
pub(super) fn select<'a>(
    routes: &'a [CompiledRoute],
    default_function: Option<&'a str>,
    method: &Method,
    path: &str,
) -> Option<Selected<'a>> {
    let mut best: Option<(&CompiledRoute, Vec<(String, String)>)> = None;
    if let Some(segments) = request_segments(path) {
        for route in routes {
            if !route.accepts(method) {
                continue;
            }
            let Some(params) = route.match_segments(&segments) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((current, _)) => route.specificity > current.specificity,
            };
            if better {
                best = Some((route, params));
            }
        }
    }
    match best {
        Some((route, path_parameters)) => Some(Selected {
            route_key: &route.route_key,
            function: &route.function,
            path_parameters,
        }),
        None => default_function.map(|function| Selected {
            route_key: DEFAULT_ROUTE_KEY,
            function,
            path_parameters: Vec::new(),
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

/// Orders routes by how specific they are; the greatest wins.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Specificity {
    without_greedy: bool,
    literals: usize,
    /// Per segment: 2 literal, 1 `{param}`, 0 greedy (compared left to right).
    shape: Vec<u8>,
    segments: usize,
    exact_method: bool,
}

#[derive(Debug)]
pub(super) struct CompiledRoute {
    /// `None` for `ANY`.
    method: Option<Method>,
    segments: Vec<Segment>,
    pub(super) route_key: String,
    pub(super) function: String,
    specificity: Specificity,
}

impl CompiledRoute {
    pub(super) fn new(route: &HttpRoute) -> anyhow::Result<Self> {
        let method = match route.method.as_str() {
            "ANY" => None,
            other => Some(
                Method::from_bytes(other.as_bytes())
                    .with_context(|| format!("invalid method `{other}`"))?,
            ),
        };
        let segments = parse_route_path(&route.path)?;
        let shape: Vec<u8> = segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 2,
                Segment::Param(_) => 1,
                Segment::Greedy(_) => 0,
            })
            .collect();
        let specificity = Specificity {
            without_greedy: !segments.iter().any(|s| matches!(s, Segment::Greedy(_))),
            literals: shape.iter().filter(|&&k| k == 2).count(),
            segments: segments.len(),
            shape,
            exact_method: method.is_some(),
        };
        Ok(Self {
            method,
            segments,
            route_key: route.route_key(),
            function: route.function.clone(),
            specificity,
        })
    }

    fn accepts(&self, method: &Method) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
    }

    /// The path parameters when the request's segments match this route.
    fn match_segments(&self, request: &[&str]) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(literal) => {
                    if request.get(index) != Some(&literal.as_str()) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = request.get(index).filter(|v| !v.is_empty())?;
                    params.push((name.clone(), (*value).to_owned()));
                }
                Segment::Greedy(name) => {
                    let rest = request.get(index..).unwrap_or_default().join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    params.push((name.clone(), rest));
                    return Some(params);
                }
            }
        }
        (request.len() == self.segments.len()).then_some(params)
    }
}

fn parse_route_path(path: &str) -> anyhow::Result<Vec<Segment>> {
    let Some(rest) = path.strip_prefix('/') else {
        anyhow::bail!("the path `{path}` does not start with `/`");
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let last = parts.len() - 1;
    let mut segments = Vec::with_capacity(parts.len());
    for (index, part) in parts.into_iter().enumerate() {
        let variable = part
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .filter(|name| !name.is_empty());
        let segment = match variable {
            Some(name) => match name.strip_suffix('+') {
                Some(greedy) => {
                    if index != last {
                        anyhow::bail!("the greedy variable `{part}` must be the last segment");
                    }
                    if greedy.is_empty() {
                        anyhow::bail!("the greedy variable `{part}` has no name");
                    }
                    Segment::Greedy(greedy.to_owned())
                }
                None => Segment::Param(name.to_owned()),
            },
            None => Segment::Literal(part.to_owned()),
        };
        segments.push(segment);
    }
    Ok(segments)
}

/// The decoded request path's segments: `/` has none, `/users/` has
/// `users` and an empty one; `None` for a path not starting with `/`.
fn request_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        Some(Vec::new())
    } else {
        Some(rest.split('/').collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn route(method: &str, path: &str) -> CompiledRoute {
        CompiledRoute::new(&HttpRoute {
            method: method.into(),
            path: path.into(),
            function: "F".into(),
        })
        .expect("a valid route")
    }

    fn segments(path: &str) -> Vec<&str> {
        request_segments(path).expect("a path starting with `/`")
    }

    #[test]
    fn route_paths_parse_into_segments() {
        assert_eq!(parse_route_path("/").unwrap(), vec![]);
        assert_eq!(
            parse_route_path("/users/{id}").unwrap(),
            vec![
                Segment::Literal("users".into()),
                Segment::Param("id".into())
            ]
        );
        assert_eq!(
            parse_route_path("/files/{proxy+}").unwrap(),
            vec![
                Segment::Literal("files".into()),
                Segment::Greedy("proxy".into())
            ]
        );
        assert!(parse_route_path("/files/{proxy+}/x").is_err());
        assert!(parse_route_path("users").is_err());
        assert!(parse_route_path("/{+}").is_err());
    }

    #[test]
    fn params_never_match_empty_segments_and_greedy_needs_one_segment() {
        let by_id = route("GET", "/users/{id}");
        assert_eq!(
            by_id.match_segments(&segments("/users/42")),
            Some(vec![("id".into(), "42".into())])
        );
        assert_eq!(by_id.match_segments(&segments("/users/")), None);
        assert_eq!(by_id.match_segments(&segments("/users")), None);
        assert_eq!(by_id.match_segments(&segments("/users/42/x")), None);

        let greedy = route("ANY", "/files/{proxy+}");
        assert_eq!(greedy.match_segments(&segments("/files")), None);
        assert_eq!(greedy.match_segments(&segments("/files/")), None);
        assert_eq!(
            greedy.match_segments(&segments("/files/a/b/")),
            Some(vec![("proxy".into(), "a/b/".into())])
        );

        let root = route("GET", "/");
        assert_eq!(root.match_segments(&segments("/")), Some(vec![]));
        assert_eq!(root.match_segments(&segments("/x")), None);
    }

    #[test]
    fn specificity_orders_routes_as_api_gateway_does() {
        let order = [
            route("GET", "/pets/dog/1"),
            route("GET", "/pets/dog/{id}"),
            route("ANY", "/pets/dog/{id}"),
            route("GET", "/pets/{kind}/{id}"),
            route("GET", "/pets/{proxy+}"),
            route("ANY", "/{proxy+}"),
        ];
        for pair in order.windows(2) {
            assert!(
                pair[0].specificity > pair[1].specificity,
                "{} should beat {}",
                pair[0].route_key,
                pair[1].route_key
            );
        }
        // At the first differing segment a literal beats a parameter.
        assert!(route("GET", "/a/b/{x}").specificity > route("GET", "/a/{y}/c").specificity);
    }

    proptest! {
        #[test]
        fn greedy_captures_any_non_empty_rest(
            rest in proptest::collection::vec("[a-z0-9._-]{1,8}", 1..6)
        ) {
            let greedy = route("ANY", "/files/{proxy+}");
            let path = format!("/files/{}", rest.join("/"));
            prop_assert_eq!(
                greedy.match_segments(&segments(&path)),
                Some(vec![("proxy".to_owned(), rest.join("/"))])
            );
        }
    }
}
