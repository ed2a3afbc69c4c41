//! Access (DESIGN §6): access tokens, refresh-token secrets, key material,
//! the session check every request passes, and the role → permission table.
//! (Passwords and login limits are `opsflow-identity`'s.)
//!
//! Security model: only the `auth` function holds a signing key. Every other
//! function verifies access tokens with a public key (EdDSA or RS256), so no
//! other function can mint a token. The algorithm is fixed by configuration
//! and never read from a token.

pub mod gate;
pub mod jwt;
pub mod keys;
pub mod kid;
pub mod rbac;
pub mod secret;
pub mod session;

pub use jwt::{AccessToken, Claims, TokenError, TokenSigner, TokenVerifier, ACCESS_TOKEN_TTL};
pub use rbac::{Permission, Principal};
