//! Operator commands against DynamoDB Local.

use opsflow_identity::auth::password;
use opsflow_identity::domain::Email;
use opsflow_identity::store::users::UserStore;
use opsflow_platform::auth::{TokenSigner, TokenVerifier};
use opsflow_platform::config::{JwtAlgorithm, JwtConfig};
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::store::{schema, Store};

mod migrate;

async fn store() -> (Store, aws_sdk_dynamodb::Client, String) {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned());
    let sdk = opsflow_platform::store::emulator_sdk_config(&endpoint, "us-east-1").await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("opsflow-admin-test-{}", EntityId::new());
    schema::create_entity_table(&client, &table)
        .await
        .expect("DynamoDB Local must be running: run `make emulators`");
    (Store::new(client.clone(), &table), client, table)
}

/// The pair signs a token and verifies it as the functions will use it.
fn assert_signs_and_verifies(private_pem: &str, public_pem: Vec<u8>) {
    let config = JwtConfig {
        algorithm: JwtAlgorithm::EdDsa,
        verification_key: public_pem,
        previous_verification_key: None,
        issuer: "opsflow".into(),
        audience: "opsflow-api".into(),
    };
    let token = TokenSigner::new(&config, Some(private_pem))
        .expect("a signer of the private key")
        .issue(
            &EntityId::new(),
            Role::User,
            ("s", 1),
            opsflow_platform::clock::now(),
        )
        .expect("a token");
    let verifier = TokenVerifier::new(&config).expect("a verifier of the public key");
    assert!(verifier.verify(&token.token).is_ok());
}

#[tokio::test]
async fn create_admin_makes_one_active_admin_per_email() {
    let (store, client, table) = store().await;
    let created = opsflow_admin::create_admin(&store, "Root@Example.com", "Root", None)
        .await
        .unwrap();
    let generated = created.generated_password.expect("a generated password");
    let record = store
        .user_by_email(&Email::parse("root@example.com").unwrap())
        .await
        .unwrap()
        .expect("the admin is stored");
    assert_eq!(record.role, Role::Admin);
    assert!(record.is_active);
    assert!(password::verify(&generated, &record.password_hash));

    let again = opsflow_admin::create_admin(&store, "root@example.com", "Root", None).await;
    assert!(again.unwrap_err().to_string().contains("already exists"));

    let chosen = opsflow_admin::create_admin(
        &store,
        "ops@example.com",
        "Ops",
        Some("a chosen password".into()),
    )
    .await
    .unwrap();
    assert!(chosen.generated_password.is_none());
    let weak =
        opsflow_admin::create_admin(&store, "weak@example.com", "Weak", Some("short".into())).await;
    assert!(weak.unwrap_err().to_string().contains("password"));
    schema::delete_table(&client, &table).await.unwrap();
}

#[test]
fn generated_keys_sign_and_verify_and_are_never_overwritten() {
    let dir = std::env::temp_dir().join(format!("opsflow-keys-{}", EntityId::new()));
    let (private, public) = opsflow_admin::generate_keys(&dir, "EdDSA").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_signs_and_verifies(
        &std::fs::read_to_string(&private).unwrap(),
        std::fs::read(&public).unwrap(),
    );
    assert!(opsflow_admin::generate_keys(&dir, "EdDSA").is_err());
    assert!(opsflow_admin::generate_keys(&dir.join("x"), "HS256").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Clients of moto's Secrets Manager and SSM.
async fn key_stores() -> (aws_sdk_secretsmanager::Client, aws_sdk_ssm::Client) {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS")
        .unwrap_or_else(|_| "http://127.0.0.1:5000".to_owned());
    let sdk = opsflow_platform::store::emulator_sdk_config(&endpoint, "us-east-1").await;
    (
        aws_sdk_secretsmanager::Client::new(&sdk),
        aws_sdk_ssm::Client::new(&sdk),
    )
}

async fn parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> String {
    ssm.get_parameter()
        .name(name)
        .send()
        .await
        .expect("the parameter is readable")
        .parameter
        .and_then(|p| p.value)
        .expect("the parameter has a value")
}

#[tokio::test]
async fn bootstrap_makes_a_matching_key_once() {
    use opsflow_admin::bootstrap::{bootstrap, KeyNames};
    let (secrets, ssm) = key_stores().await;
    // The id's random end (its start is the time, the same for a minute).
    let id = EntityId::new().to_string();
    let env = format!("t{}", &id[id.len() - 8..]);
    let names = KeyNames::of(&env).unwrap();
    let made = bootstrap(&secrets, &ssm, &names).await.unwrap();
    assert!(made.created);
    assert!(made
        .secret_arn
        .contains(&format!("opsflow/{env}/jwt-signing-key")));
    let private = secrets
        .get_secret_value()
        .secret_id(&made.secret_arn)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    let public = parameter(&ssm, &names.public).await;
    assert_eq!(parameter(&ssm, &names.previous).await, "none");
    assert_signs_and_verifies(&private, public.clone().into_bytes());

    // Again: nothing changes.
    let again = bootstrap(&secrets, &ssm, &names).await.unwrap();
    assert_eq!(
        (again.created, again.secret_arn.as_str()),
        (false, made.secret_arn.as_str())
    );
    assert_eq!(parameter(&ssm, &names.public).await, public);

    // Half made (a public key without its secret) is refused.
    let other = KeyNames::of(&format!("{env}-x")).unwrap();
    ssm.put_parameter()
        .name(&other.public)
        .value("-----BEGIN PUBLIC KEY-----")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let refused = bootstrap(&secrets, &ssm, &other).await.unwrap_err();
    assert!(
        refused.to_string().contains("delete the parameter"),
        "{refused}"
    );
    assert!(KeyNames::of("Prod!").is_err());

    // A run that stopped after the secret is completed from it.
    let halfway = KeyNames::of(&format!("{env}-y")).unwrap();
    let pair = opsflow_platform::auth::keys::generate_ed25519().unwrap();
    secrets
        .create_secret()
        .name(&halfway.secret)
        .secret_string(&pair.private_pem)
        .send()
        .await
        .unwrap();
    let healed = bootstrap(&secrets, &ssm, &halfway).await.unwrap();
    assert!(healed.created);
    let public = parameter(&ssm, &halfway.public).await;
    assert_eq!(
        opsflow_platform::auth::kid::of_public_pem(&public),
        opsflow_platform::auth::kid::of_private_pem(&pair.private_pem)
    );
}
