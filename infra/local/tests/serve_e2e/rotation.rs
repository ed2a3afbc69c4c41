//! A signing-key rotation through the local runtime, as
//! docs/operations.md tells an operator to run it: a token of key A; the
//! platform restarted with key B current (the signer now holds B) and A
//! previous — the token of A still works and a new login's token names B;
//! restarted once more without A — the token of A is refused, B's works.

use super::{binaries_dir, finish, Client};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use opsflow_local::platform::{Platform, PlatformOptions};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;

/// The platform of environment `env`, signing with the key in `keys_dir`
/// and accepting `previous` (a public key PEM) too.
async fn start_with(env: &str, keys_dir: &Path, previous: Option<&str>) -> (Platform, Client) {
    let mut options = PlatformOptions::from_env();
    options.template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    options.parameters.insert("Environment".into(), env.into());
    if let Some(previous) = previous {
        options
            .parameters
            .insert("JwtPreviousPublicKey".into(), previous.into());
    }
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    options.binaries_dir = binaries_dir();
    options.keys_dir = keys_dir.to_path_buf();
    options.event_sources = false;
    let platform = Platform::start(options).await.expect("the platform starts");
    let client = Client {
        base: format!("http://{}", platform.address),
        http: reqwest::Client::new(),
    };
    (platform, client)
}

/// The `kid` a token's header names.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().expect("a header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("JSON");
    header["kid"].as_str().expect("a kid").to_owned()
}

fn public_pem(keys_dir: &Path) -> String {
    std::fs::read_to_string(keys_dir.join("jwt-public.pem")).expect("the public key")
}

async fn me(client: &Client, token: &str) -> u16 {
    client.get("/api/v1/auth/me", token).await.0
}

#[tokio::test]
async fn a_rotation_keeps_old_tokens_working_and_new_ones_name_the_new_key() {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let env = format!("e2e-{}", &id[..8]);
    let dir_a = std::env::temp_dir().join(format!("opsflow-rotation-a-{id}"));
    let dir_b = std::env::temp_dir().join(format!("opsflow-rotation-b-{id}"));
    let (email, password) = ("rotor@example.com", "a long enough passphrase");

    // Key A: an account and its token.
    let (platform, client) = start_with(&env, &dir_a, None).await;
    let (status, body) = client
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"email": email, "password": password, "name": "Rotor"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token_a = client.login(email, password).await["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let kid_a = kid_of(&token_a);
    assert_eq!(
        Some(kid_a.clone()),
        opsflow_platform::auth::kid::of_public_pem(&public_pem(&dir_a))
    );
    assert_eq!(me(&client, &token_a).await, 200);
    platform.stop().await;

    // B current and signing, A previous.
    let (platform, client) = start_with(&env, &dir_b, Some(&public_pem(&dir_a))).await;
    assert_eq!(me(&client, &token_a).await, 200, "A's token still works");
    let token_b = client.login(email, password).await["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let kid_b = kid_of(&token_b);
    assert_ne!(kid_b, kid_a);
    assert_eq!(
        Some(kid_b),
        opsflow_platform::auth::kid::of_public_pem(&public_pem(&dir_b))
    );
    assert_eq!(me(&client, &token_b).await, 200);
    platform.stop().await;

    // A dropped.
    let (platform, client) = start_with(&env, &dir_b, None).await;
    assert_eq!(me(&client, &token_a).await, 401, "A's token is refused");
    assert_eq!(me(&client, &token_b).await, 200);
    finish(platform, dir_b).await;
    let _ = std::fs::remove_dir_all(dir_a);
}
