//! Identity and access (DESIGN §6): password hashing, access tokens,
//! refresh-token secrets, key material and the role → permission table.
//!
//! Security model: only the `auth` function holds a signing key. Every other
//! function verifies access tokens with a public key (EdDSA or RS256), so no
//! other function can mint a token. The algorithm is fixed by configuration
//! and never read from a token.

pub mod jwt;
pub mod keys;
pub mod password;
pub mod rbac;
pub mod secret;
pub mod throttle;

pub use jwt::{AccessToken, Claims, TokenError, TokenSigner, TokenVerifier, ACCESS_TOKEN_TTL};
pub use rbac::{Permission, Principal};
