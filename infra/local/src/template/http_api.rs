//! The HTTP API: the routes of `HttpApi` events, the single
//! `AWS::Serverless::HttpApi` resource (merged with `Globals.HttpApi`) and
//! its `CorsConfiguration`. Invariant: there is at most one HTTP API and
//! every `HttpApi` event is attached to it (no implicit second API), each
//! route key (`METHOD /path`) is declared once, and only what is served
//! locally is accepted: payload format 2.0, no OpenAPI definitions.

use super::functions::properties_with_globals;
use super::properties::check_keys;
use super::reader::Reader;
use super::values::{intrinsic, scalar_text};
use super::{CorsConfig, HttpRoute};
use anyhow::{bail, Result};
use yaml_serde::{Mapping, Value};

impl Reader<'_> {
    /// The CORS settings of the template's HTTP API, once every `HttpApi`
    /// event is known to be attached to it; `http_apis` are the logical ids
    /// of the `AWS::Serverless::HttpApi` resources.
    pub(super) fn api_cors(&self, http_apis: &[String]) -> Result<Option<CorsConfig>> {
        if http_apis.len() > 1 {
            bail!(
                "Resources: {} declare AWS::Serverless::HttpApi; only one HTTP API is supported locally",
                http_apis.join(", ")
            );
        }
        let api = http_apis.first();
        for (path, used) in self.api_uses.borrow().iter() {
            match (api, used) {
                (Some(api), Some(used)) if api == used => {}
                (Some(api), None) => bail!(
                    "{path}: this event has no ApiId, so SAM would attach it to an implicit HTTP API \
                     besides {api}; only one HTTP API is supported locally (set ApiId: !Ref {api})"
                ),
                (_, Some(used)) => bail!("{path}.ApiId: {used} is not an AWS::Serverless::HttpApi"),
                (None, None) => {}
            }
        }
        let cors = match api {
            Some(id) => self.http_api(id)?,
            None => match self
                .globals_http_api
                .and_then(|g| g.get("CorsConfiguration"))
            {
                Some(cors) if !self.api_uses.borrow().is_empty() => {
                    self.cors(cors, "Globals.HttpApi.CorsConfiguration")?
                }
                _ => None,
            },
        };
        Ok(cors)
    }

    pub(super) fn http_event(
        &self,
        function: &str,
        props: &Mapping,
        path: &str,
        pp: &str,
    ) -> Result<HttpRoute> {
        let api = match props.get("ApiId") {
            None => None,
            Some(value) => match intrinsic(value) {
                Some((name, Value::String(id))) if name == "Ref" => {
                    self.resource(id, &format!("{pp}.ApiId"))?;
                    Some(id.clone())
                }
                _ => bail!("{pp}.ApiId: expected !Ref to the AWS::Serverless::HttpApi"),
            },
        };
        self.api_uses.borrow_mut().push((pp.to_owned(), api));
        if let Some(version) = self.opt_text(props, "PayloadFormatVersion", pp)? {
            if version != "2.0" {
                bail!("{pp}.PayloadFormatVersion: only payload format 2.0 is served locally, got {version}");
            }
        }
        let path_value = self.opt_text(props, "Path", pp)?;
        let method = self.opt_text(props, "Method", pp)?;
        let (method, route_path) = match (method, path_value) {
            (None, None) => ("ANY".to_owned(), "$default".to_owned()),
            (_, None) => bail!("{pp}.Path: missing (an event with a Method needs a Path)"),
            // `$default` written out: the catch-all, for any method.
            (method, Some(route_path)) if route_path == "$default" => {
                if method.is_some_and(|m| !m.eq_ignore_ascii_case("ANY")) {
                    bail!("{pp}.Method: the $default route takes every method (ANY)");
                }
                ("ANY".to_owned(), route_path)
            }
            (method, Some(route_path)) => {
                if !route_path.starts_with('/') {
                    bail!("{pp}.Path: must start with '/', got {route_path:?}");
                }
                let method = method
                    .unwrap_or_else(|| "ANY".to_owned())
                    .to_ascii_uppercase();
                let method = if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
                    "ANY".to_owned()
                } else {
                    method
                };
                if !matches!(
                    method.as_str(),
                    "ANY" | "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
                ) {
                    bail!("{pp}.Method: unknown HTTP method {method}");
                }
                (method, route_path)
            }
        };
        let route = HttpRoute {
            method,
            path: route_path,
            function: function.to_owned(),
        };
        if let Some(other) = self
            .route_owners
            .borrow_mut()
            .insert(route.route_key(), path.to_owned())
        {
            bail!(
                "{path}: route {} is also declared by {other}",
                route.route_key()
            );
        }
        Ok(route)
    }

    fn http_api(&self, id: &str) -> Result<Option<CorsConfig>> {
        let pp = format!("Resources.{id}.Properties");
        let resource = self.resource(id, &pp)?;
        let props = properties_with_globals(resource.def, self.globals_http_api, &pp)?;
        for key in ["DefinitionBody", "DefinitionUri"] {
            if props.contains_key(key) {
                bail!("{pp}.{key}: OpenAPI definitions are not supported locally; declare routes as HttpApi events");
            }
        }
        if props.contains_key("Auth") {
            self.warn(format!(
                "{pp}.Auth: authorizers are not enforced locally; every route is open"
            ));
        }
        if let Some(stage) = self.opt_text(&props, "StageName", &pp)? {
            if stage != "$default" {
                self.warn(format!(
                    "{pp}.StageName: routes are served at the root locally, not under /{stage}"
                ));
            }
        }
        match props.get("CorsConfiguration") {
            Some(cors) => self.cors(cors, &format!("{pp}.CorsConfiguration")),
            None => Ok(None),
        }
    }

    fn cors(&self, value: &Value, path: &str) -> Result<Option<CorsConfig>> {
        let map = match self.resolve(value, path)? {
            None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
            Some(Value::Bool(true)) => {
                return Ok(Some(CorsConfig {
                    allow_origins: vec!["*".to_owned()],
                    ..CorsConfig::default()
                }))
            }
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => {
                return Ok(Some(CorsConfig {
                    allow_origins: vec!["*".to_owned()],
                    ..CorsConfig::default()
                }))
            }
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => return Ok(None),
            Some(Value::Mapping(map)) => map,
            Some(_) => bail!("{path}: expected true, false or a mapping"),
        };
        let list = |key: &str| -> Result<Vec<String>> {
            let item_path = format!("{path}.{key}");
            match map.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                // A single text (e.g. a comma-delimited parameter joined).
                Some(Value::String(text)) => Ok(text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()),
                Some(Value::Sequence(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| scalar_text(item, &format!("{item_path}[{i}]")))
                    .collect(),
                Some(_) => bail!("{item_path}: expected a list"),
            }
        };
        let mut warnings = Vec::new();
        check_keys(
            &map,
            path,
            &[
                "AllowOrigins",
                "AllowHeaders",
                "AllowMethods",
                "ExposeHeaders",
                "MaxAge",
                "AllowCredentials",
            ],
            &[],
            &[],
            &mut warnings,
        )?;
        for warning in warnings {
            self.warn(warning);
        }
        Ok(Some(CorsConfig {
            allow_origins: list("AllowOrigins")?,
            allow_headers: list("AllowHeaders")?,
            allow_methods: list("AllowMethods")?,
            expose_headers: list("ExposeHeaders")?,
            max_age: self.opt_number(&map, "MaxAge", path, 0..=86_400)?,
            allow_credentials: self
                .opt_bool(&map, "AllowCredentials", path)?
                .unwrap_or(false),
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::template::test_support::{assert_refused, ctx, events, resources};
    use crate::template::{parse, CorsConfig, HttpRoute};

    #[test]
    fn http_api_events() {
        let yaml = events(
            r#"        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: '/users/{id}', Method: get}
        Any:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: '/files/{proxy+}', Method: any}
        NoMethod:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /other}
        Default:
          Type: HttpApi
          Properties: {ApiId: !Ref Api}
"#,
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let keys: Vec<_> = template.routes.iter().map(HttpRoute::route_key).collect();
        assert_eq!(
            keys,
            [
                "GET /users/{id}",
                "ANY /files/{proxy+}",
                "ANY /other",
                "ANY $default"
            ]
        );
        assert!(template.routes.iter().all(|r| r.function == "Fn"));
        assert_eq!(template.function("Fn").unwrap().events.len(), 4);
        assert_eq!(template.cors, None);
    }

    #[test]
    fn a_written_out_default_route_takes_any_method_only() {
        for properties in ["Path: $default, Method: ANY", "Path: $default"] {
            let yaml = events(&format!(
                "        Default:\n          Type: HttpApi\n          Properties: {{ApiId: !Ref Api, {properties}}}\n"
            ));
            let template = parse(&yaml, &ctx()).unwrap();
            let keys: Vec<_> = template.routes.iter().map(HttpRoute::route_key).collect();
            assert_eq!(keys, ["ANY $default"], "{properties}");
        }
        let yaml = events(
            "        Default:\n          Type: HttpApi\n          Properties: {ApiId: !Ref Api, Path: $default, Method: GET}\n",
        );
        let error = parse(&yaml, &ctx()).unwrap_err().to_string();
        assert!(error.contains("takes every method"), "{error}");
    }

    #[test]
    fn duplicate_routes_are_errors() {
        let yaml = events(
            r#"        A:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /a, Method: GET}
        B:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /a, Method: get}
"#,
        );
        assert_refused(&[(
            &yaml,
            &["Resources.Fn.Properties.Events.B: route GET /a is also declared by Resources.Fn.Properties.Events.A"],
        )]);
    }

    #[test]
    fn an_implicit_api_next_to_an_explicit_one_is_an_error() {
        let yaml = events(
            "        A:\n          Type: HttpApi\n          Properties: {Path: /a, Method: GET}\n",
        );
        assert_refused(&[(
            &yaml,
            &["Resources.Fn.Properties.Events.A", "only one HTTP API"],
        )]);
    }

    fn api(cors: &str) -> String {
        let mut yaml = events("        A:\n          Type: HttpApi\n          Properties: {ApiId: !Ref Api, Path: /a, Method: GET}\n");
        yaml.insert_str(0, "Parameters:\n  Origins: {Type: CommaDelimitedList, Default: 'http://a.test,http://b.test'}\n");
        yaml.replace(
            "    Type: AWS::Serverless::HttpApi\n",
            &format!("    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: {cors}\n"),
        )
    }

    #[test]
    fn cors_configuration() {
        let template = parse(
            &api("{AllowOrigins: !Ref Origins, AllowHeaders: [authorization], AllowMethods: [GET, POST], ExposeHeaders: [etag], MaxAge: 600, AllowCredentials: true}"),
            &ctx(),
        )
        .unwrap();
        assert_eq!(
            template.cors,
            Some(CorsConfig {
                allow_origins: vec!["http://a.test".into(), "http://b.test".into()],
                allow_headers: vec!["authorization".into()],
                allow_methods: vec!["GET".into(), "POST".into()],
                expose_headers: vec!["etag".into()],
                max_age: Some(600),
                allow_credentials: true,
            })
        );
        let template = parse(&api("{AllowOrigins: !Join [',', !Ref Origins]}"), &ctx()).unwrap();
        assert_eq!(
            template.cors.unwrap().allow_origins,
            ["http://a.test", "http://b.test"]
        );
        let template = parse(&api("true"), &ctx()).unwrap();
        assert_eq!(template.cors.unwrap().allow_origins, ["*"]);
    }

    #[test]
    fn more_than_one_http_api_is_an_error() {
        let yaml = resources(
            "  A:\n    Type: AWS::Serverless::HttpApi\n  B:\n    Type: AWS::Serverless::HttpApi\n",
        );
        assert_refused(&[(&yaml, &["A, B", "only one HTTP API"])]);
    }

    #[test]
    fn openapi_definitions_are_errors() {
        let yaml = resources("  A:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionUri: api.yaml\n");
        assert_refused(&[(&yaml, &["Resources.A.Properties.DefinitionUri"])]);
    }
}
