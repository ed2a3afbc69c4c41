//! Access tokens: short-lived JWTs (15 minutes) with the claims `sub`,
//! `role`, `sid` (the session they belong to), `gen` (the user's session
//! generation when it was issued), `jti`, `iat`, `exp`, `iss` and `aud`.
//!
//! Invariant: verification accepts exactly one algorithm, the configured
//! one, so `alg: none` and algorithm-confusion tokens (an HS256 token keyed
//! with our public key) are refused.
//!
//! Rotation: a token names its signing key (`kid`, [`super::kid`]); a
//! verifier holds the current public key and, during a rotation, the
//! previous one, and checks a token with the key its `kid` names (a token
//! naming neither is refused). A token without `kid` (issued before key
//! ids) is tried with each.

use crate::config::{JwtAlgorithm, JwtConfig};
use crate::domain::{EntityId, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
/// Clock skew tolerated between the issuing and verifying functions.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub sid: String,
    /// Tokens issued before it existed have none; writes then wait for the
    /// session check instead of carrying it (`auth::gate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gen: Option<u64>,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// A freshly issued token and what it says.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    pub claims: Claims,
}

/// Why a token was refused. All of them are 401 to the client; the variant
/// is for logs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is invalid")]
    Invalid,
}

fn algorithm(alg: JwtAlgorithm) -> Algorithm {
    match alg {
        JwtAlgorithm::EdDsa => Algorithm::EdDSA,
        JwtAlgorithm::Rs256 => Algorithm::RS256,
        JwtAlgorithm::Hs256 => Algorithm::HS256,
    }
}

/// Verifies access tokens; every API function holds one.
#[derive(Clone)]
pub struct TokenVerifier {
    /// The current key first, then the previous one; each with its id.
    keys: Vec<(Option<String>, DecodingKey)>,
    validation: Validation,
}

/// A verification key and its id (none for HS256: its id would be a hash
/// of the secret).
fn decoding_key(
    algorithm: JwtAlgorithm,
    key: &[u8],
) -> anyhow::Result<(Option<String>, DecodingKey)> {
    let id = || super::kid::of_public_pem(&String::from_utf8_lossy(key));
    Ok(match algorithm {
        JwtAlgorithm::EdDsa => (id(), DecodingKey::from_ed_pem(key)?),
        JwtAlgorithm::Rs256 => (id(), DecodingKey::from_rsa_pem(key)?),
        JwtAlgorithm::Hs256 => (None, DecodingKey::from_secret(key)),
    })
}

impl TokenVerifier {
    pub fn new(config: &JwtConfig) -> anyhow::Result<Self> {
        let mut keys = vec![decoding_key(config.algorithm, &config.verification_key)?];
        if let Some(previous) = &config.previous_verification_key {
            keys.push(decoding_key(config.algorithm, previous)?);
        }
        let mut validation = Validation::new(algorithm(config.algorithm));
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        Ok(Self { keys, validation })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let mut outcome = Err(TokenError::Invalid);
        let candidates = self
            .keys
            .iter()
            .filter(|(id, _)| header.kid.is_none() || id.is_none() || *id == header.kid);
        for (_, key) in candidates {
            outcome = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
                .map(|data| data.claims)
                .map_err(|e| match e.kind() {
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    _ => TokenError::Invalid,
                });
            // Expired means the signature held: no other key is to try.
            if !matches!(outcome, Err(TokenError::Invalid)) {
                break;
            }
        }
        outcome
    }
}

/// Issues access tokens; only the `auth` function holds one.
#[derive(Clone)]
pub struct TokenSigner {
    algorithm: Algorithm,
    key: EncodingKey,
    /// The id of the signing key's public half (EdDSA, RS256).
    kid: Option<String>,
    issuer: String,
    audience: String,
}

impl TokenSigner {
    /// `private_pem` is the PKCS#8 PEM for EdDSA/RS256; HS256 signs with
    /// the shared secret of `config`.
    pub fn new(config: &JwtConfig, private_pem: Option<&str>) -> anyhow::Result<Self> {
        let need_pem = || {
            private_pem
                .map(str::as_bytes)
                .ok_or_else(|| anyhow::anyhow!("a private key is required to sign tokens"))
        };
        let key = match config.algorithm {
            JwtAlgorithm::EdDsa => EncodingKey::from_ed_pem(need_pem()?)?,
            JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(need_pem()?)?,
            JwtAlgorithm::Hs256 => EncodingKey::from_secret(&config.verification_key),
        };
        let kid = match config.algorithm {
            JwtAlgorithm::Hs256 => None,
            _ => Some(
                need_pem()
                    .ok()
                    .and_then(|pem| super::kid::of_private_pem(&String::from_utf8_lossy(pem)))
                    .ok_or_else(|| {
                        anyhow::anyhow!("the private key is not Ed25519 or RSA PKCS#8")
                    })?,
            ),
        };
        Ok(Self {
            algorithm: algorithm(config.algorithm),
            key,
            kid,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
        })
    }

    pub fn issue(
        &self,
        user_id: &EntityId,
        role: Role,
        session: (&str, u64),
        now: OffsetDateTime,
    ) -> anyhow::Result<AccessToken> {
        let (session_id, generation) = session;
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            sid: session_id.to_owned(),
            gen: Some(generation),
            jti: uuid::Uuid::now_v7().to_string(),
            iat: now.unix_timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).unix_timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid.clone_from(&self.kid);
        let token = jsonwebtoken::encode(&header, &claims, &self.key)?;
        Ok(AccessToken { token, claims })
    }
}

#[cfg(test)]
#[path = "jwt_rotation_tests.rs"]
mod rotation_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn jwt_config(algorithm: JwtAlgorithm, verification_key: &[u8]) -> JwtConfig {
        JwtConfig {
            algorithm,
            verification_key: verification_key.to_vec(),
            previous_verification_key: None,
            issuer: "opsflow-test".into(),
            audience: "opsflow-api".into(),
        }
    }

    fn ed_pair() -> (keys::KeyPairPem, JwtConfig) {
        let pair = keys::generate_ed25519().unwrap();
        let config = jwt_config(JwtAlgorithm::EdDsa, pair.public_pem.as_bytes());
        (pair, config)
    }

    /// A token signed with `pair`'s private key under `config`.
    fn signed(pair: &keys::KeyPairPem, config: &JwtConfig, now: OffsetDateTime) -> AccessToken {
        let signer = TokenSigner::new(config, Some(&pair.private_pem)).unwrap();
        issue(&signer, now)
    }

    /// What a verifier of `config` makes of `token`.
    fn verified(config: &JwtConfig, token: &str) -> Result<Claims, TokenError> {
        TokenVerifier::new(config).unwrap().verify(token)
    }

    fn issue(signer: &TokenSigner, now: OffsetDateTime) -> AccessToken {
        signer
            .issue(&EntityId::new(), Role::Approver, ("session-1", 3), now)
            .unwrap()
    }

    #[test]
    fn eddsa_tokens_verify_with_the_public_key() {
        let (pair, config) = ed_pair();
        let token = signed(&pair, &config, OffsetDateTime::now_utc());
        let claims = verified(&config, &token.token).unwrap();
        assert_eq!(claims, token.claims);
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn rs256_tokens_verify_with_the_public_key() {
        let pair = keys::generate_rsa().unwrap();
        let config = jwt_config(JwtAlgorithm::Rs256, pair.public_pem.as_bytes());
        let token = signed(&pair, &config, OffsetDateTime::now_utc());
        assert!(verified(&config, &token.token).is_ok());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let (pair, config) = ed_pair();
        let token = signed(
            &pair,
            &config,
            OffsetDateTime::now_utc() - Duration::minutes(16),
        );
        assert_eq!(verified(&config, &token.token), Err(TokenError::Expired));
    }

    #[test]
    fn tokens_signed_by_another_key_are_refused() {
        let (pair, config) = ed_pair();
        let (_, other_config) = ed_pair();
        let token = signed(&pair, &config, OffsetDateTime::now_utc());
        assert_eq!(
            verified(&other_config, &token.token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn wrong_audience_and_issuer_are_refused() {
        let (pair, config) = ed_pair();
        let verifier = TokenVerifier::new(&config).unwrap();
        for (issuer, audience) in [
            ("opsflow-test", "elsewhere"),
            ("someone-else", "opsflow-api"),
        ] {
            let foreign = JwtConfig {
                issuer: issuer.into(),
                audience: audience.into(),
                ..config.clone()
            };
            let token = signed(&pair, &foreign, OffsetDateTime::now_utc());
            assert_eq!(verifier.verify(&token.token), Err(TokenError::Invalid));
        }
    }

    fn unsigned_token(header: &str, claims: &Claims) -> String {
        let claims = serde_json::to_vec(claims).unwrap();
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn alg_none_tokens_are_refused() {
        let (pair, config) = ed_pair();
        let token = signed(&pair, &config, OffsetDateTime::now_utc());
        let forged = unsigned_token(r#"{"alg":"none","typ":"JWT"}"#, &token.claims);
        assert_eq!(verified(&config, &forged), Err(TokenError::Invalid));
    }

    #[test]
    fn hs256_tokens_keyed_with_the_public_key_are_refused() {
        // The classic confusion attack: sign HS256 with the public key's
        // bytes and hope the verifier uses them as an HMAC secret.
        let (pair, config) = ed_pair();
        let confused = jwt_config(JwtAlgorithm::Hs256, pair.public_pem.as_bytes());
        let attacker = TokenSigner::new(&confused, None).unwrap();
        let token = issue(&attacker, OffsetDateTime::now_utc());
        assert_eq!(verified(&config, &token.token), Err(TokenError::Invalid));

        let rsa = keys::generate_rsa().unwrap();
        let rs_config = jwt_config(JwtAlgorithm::Rs256, rsa.public_pem.as_bytes());
        let confused = jwt_config(JwtAlgorithm::Hs256, rsa.public_pem.as_bytes());
        let token = issue(
            &TokenSigner::new(&confused, None).unwrap(),
            OffsetDateTime::now_utc(),
        );
        assert_eq!(verified(&rs_config, &token.token), Err(TokenError::Invalid));
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        let (_, config) = ed_pair();
        let verifier = TokenVerifier::new(&config).unwrap();
        for junk in ["", ".", "..", "a.b.c", "eyJhbGciOiJFZERTQSJ9..", "\u{0}"] {
            assert_eq!(verifier.verify(junk), Err(TokenError::Invalid));
        }
    }
}
