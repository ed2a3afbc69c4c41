//! Key ids (`kid`): which public key verifies a token. A key's id is the
//! first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo (DER):
//! the signer computes it from its private key, a verifier from the public
//! key it is configured with, so the two agree without being told and a
//! rotation needs no id to be kept anywhere.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::KeyPair;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The DER inside a PEM's armour; none when it is not PEM.
fn der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).ok().filter(|der| !der.is_empty())
}

fn id(spki_der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki_der);
    hex::encode(&digest.as_ref()[..8])
}

/// The id of a public key given as SPKI PEM.
pub fn of_public_pem(pem: &str) -> Option<String> {
    der(pem).map(|der| id(&der))
}

/// The public half (SPKI DER) of a private key given as PKCS#8 PEM
/// (Ed25519 or RSA).
pub fn public_der_of_private_pem(pem: &str) -> Option<Vec<u8>> {
    let der = der(pem)?;
    if let Ok(pair) = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(&der) {
        let public: PublicKeyX509Der<'static> = pair.public_key().as_der().ok()?;
        return Some(public.as_ref().to_vec());
    }
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).ok()?;
    let public: PublicKeyX509Der<'static> = pair.public_key().as_der().ok()?;
    Some(public.as_ref().to_vec())
}

/// The id of the public half of a private key given as PKCS#8 PEM
/// (Ed25519 or RSA).
pub fn of_private_pem(pem: &str) -> Option<String> {
    public_der_of_private_pem(pem).map(|der| id(&der))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys;

    #[test]
    fn a_private_key_and_its_public_key_have_the_same_id() {
        for pair in [
            keys::generate_ed25519().unwrap(),
            keys::generate_rsa().unwrap(),
        ] {
            let public = of_public_pem(&pair.public_pem).unwrap();
            assert_eq!(of_private_pem(&pair.private_pem).as_ref(), Some(&public));
            assert_eq!(public.len(), 16);
        }
        let (a, b) = (
            keys::generate_ed25519().unwrap(),
            keys::generate_ed25519().unwrap(),
        );
        assert_ne!(of_public_pem(&a.public_pem), of_public_pem(&b.public_pem));
        assert_eq!(of_public_pem("not a key"), None);
        assert_eq!(of_private_pem(&a.public_pem), None);
    }
}
