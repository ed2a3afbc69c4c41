//! A signing-key rotation as an operator runs it (docs/operations.md):
//! verifiers learn the new key B as current with A as previous; the
//! signer, still on A, goes on being accepted; once it signs with B its
//! tokens carry B's id; tokens of A verify until they expire, and are
//! refused once A is dropped.

use super::*;
use crate::auth::keys;

fn config(current: &keys::KeyPairPem, previous: Option<&keys::KeyPairPem>) -> JwtConfig {
    JwtConfig {
        algorithm: JwtAlgorithm::EdDsa,
        verification_key: current.public_pem.clone().into_bytes(),
        previous_verification_key: previous.map(|p| p.public_pem.clone().into_bytes()),
        issuer: "opsflow-test".into(),
        audience: "opsflow-api".into(),
    }
}

fn token_of(signing: &keys::KeyPairPem, config: &JwtConfig, at: OffsetDateTime) -> String {
    TokenSigner::new(config, Some(&signing.private_pem))
        .unwrap()
        .issue(&EntityId::new(), Role::User, ("s", 1), at)
        .unwrap()
        .token
}

#[test]
fn tokens_of_the_old_key_verify_until_they_expire_and_new_ones_name_the_new_key() {
    let (a, b) = (
        keys::generate_ed25519().unwrap(),
        keys::generate_ed25519().unwrap(),
    );
    let now = OffsetDateTime::now_utc();
    let before = config(&a, None);
    let old = token_of(&a, &before, now);
    assert_eq!(
        jsonwebtoken::decode_header(&old).unwrap().kid,
        super::super::kid::of_public_pem(&a.public_pem)
    );

    // Verifiers rotate first: B current, A previous.
    let during = config(&b, Some(&a));
    let verifier = TokenVerifier::new(&during).unwrap();
    assert!(verifier.verify(&old).is_ok(), "a token of A still verifies");
    // The signer, still holding A, stays accepted.
    assert!(verifier.verify(&token_of(&a, &during, now)).is_ok());
    // Once it signs with B, its tokens name B.
    let new = token_of(&b, &during, now);
    assert_eq!(
        jsonwebtoken::decode_header(&new).unwrap().kid,
        super::super::kid::of_public_pem(&b.public_pem)
    );
    assert!(verifier.verify(&new).is_ok());
    // A's tokens end as every token ends.
    let expired = token_of(&a, &during, now - ACCESS_TOKEN_TTL - Duration::minutes(1));
    assert_eq!(verifier.verify(&expired), Err(TokenError::Expired));

    // A dropped: its tokens are refused, B's verify.
    let after = TokenVerifier::new(&config(&b, None)).unwrap();
    assert_eq!(after.verify(&old), Err(TokenError::Invalid));
    assert!(after.verify(&new).is_ok());
    // A verifier that never heard of B refuses B's tokens.
    let stale = TokenVerifier::new(&before).unwrap();
    assert_eq!(stale.verify(&new), Err(TokenError::Invalid));
}

#[test]
fn a_token_naming_an_unknown_key_is_refused_even_if_a_known_key_signed_it() {
    let (a, b) = (
        keys::generate_ed25519().unwrap(),
        keys::generate_ed25519().unwrap(),
    );
    let now = OffsetDateTime::now_utc();
    let signer = TokenSigner::new(&config(&a, None), Some(&a.private_pem)).unwrap();
    let claims = signer
        .issue(&EntityId::new(), Role::User, ("s", 1), now)
        .unwrap()
        .claims;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("0000000000000000".into());
    let key = EncodingKey::from_ed_pem(a.private_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let verifier = TokenVerifier::new(&config(&a, Some(&b))).unwrap();
    assert_eq!(verifier.verify(&token), Err(TokenError::Invalid));
    // Without a kid (a token from before key ids), each key is tried.
    header.kid = None;
    let legacy = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    assert!(verifier.verify(&legacy).is_ok());
    let rotated = TokenVerifier::new(&config(&b, Some(&a))).unwrap();
    assert!(rotated.verify(&legacy).is_ok());
}

#[test]
fn no_previous_key_is_said_with_none() {
    let pair = keys::generate_ed25519().unwrap();
    let vars = |previous: &str| {
        crate::config::Vars::from(std::collections::HashMap::from([
            ("JWT_PUBLIC_KEY".to_owned(), pair.public_pem.clone()),
            ("JWT_PREVIOUS_PUBLIC_KEY".to_owned(), previous.to_owned()),
        ]))
    };
    for none in ["none", "NONE", "-", ""] {
        let config = JwtConfig::from_vars(&vars(none)).unwrap();
        assert_eq!(config.previous_verification_key, None, "{none:?}");
    }
    let other = keys::generate_ed25519().unwrap();
    let config = JwtConfig::from_vars(&vars(&other.public_pem)).unwrap();
    // Variables are trimmed: the PEM without its last newline.
    assert_eq!(
        config.previous_verification_key,
        Some(other.public_pem.trim().as_bytes().to_vec())
    );
    let verifier = TokenVerifier::new(&config).unwrap();
    let token = token_of(&other, &config, OffsetDateTime::now_utc());
    assert!(verifier.verify(&token).is_ok(), "the previous key verifies");
}
