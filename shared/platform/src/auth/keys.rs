//! Key material for access tokens: generating Ed25519 and RSA key pairs as
//! PEM (used by `opsflow-admin gen-keys` and by tests, which always make
//! their own keys), and loading the signing key from Secrets Manager.

use anyhow::Context;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::signature::KeyPair;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// A private key (PKCS#8 PEM) and its public key (SPKI PEM).
#[derive(Clone)]
pub struct KeyPairPem {
    pub private_pem: String,
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPairPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPairPem")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

/// PEM armour around DER, 64 base64 characters a line (RFC 7468).
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A new Ed25519 key pair (for `JWT_ALGORITHM=EdDSA`).
pub fn generate_ed25519() -> anyhow::Result<KeyPairPem> {
    let pair = aws_lc_rs::signature::Ed25519KeyPair::generate()
        .map_err(|_| anyhow::anyhow!("Ed25519 key generation failed"))?;
    pem_pair(&pair, "Ed25519")
}

/// A new 2048-bit RSA key pair (for `JWT_ALGORITHM=RS256`).
pub fn generate_rsa() -> anyhow::Result<KeyPairPem> {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
    pem_pair(&pair, "RSA")
}

/// A key pair as PEM: PKCS#8 for the private key, SPKI for the public.
fn pem_pair<K>(pair: &K, algorithm: &str) -> anyhow::Result<KeyPairPem>
where
    K: KeyPair + AsDer<Pkcs8V1Der<'static>>,
    K::PublicKey: AsDer<PublicKeyX509Der<'static>>,
{
    let private = pair
        .as_der()
        .map_err(|_| anyhow::anyhow!("{algorithm} key encoding failed"))?;
    let public = pair
        .public_key()
        .as_der()
        .map_err(|_| anyhow::anyhow!("{algorithm} public key encoding failed"))?;
    Ok(KeyPairPem {
        private_pem: pem("PRIVATE KEY", private.as_ref()),
        public_pem: pem("PUBLIC KEY", public.as_ref()),
    })
}

/// Reads the signing key PEM from a Secrets Manager secret (its
/// `SecretString`). Called once at cold start by the `auth` function only;
/// no other function's role may read the secret.
pub async fn fetch_signing_key(
    sdk: &aws_config::SdkConfig,
    secret_arn: &str,
) -> anyhow::Result<String> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let secret = client
        .get_secret_value()
        .secret_id(secret_arn)
        .send()
        .await
        .context("reading the JWT signing key secret")?;
    secret
        .secret_string()
        .map(|s| s.replace("\\n", "\n"))
        .context("the JWT signing key secret has no SecretString")
}
