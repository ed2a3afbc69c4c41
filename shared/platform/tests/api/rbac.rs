//! The RBAC matrix of the kernel's own function, the probes: every caller
//! gets them, whatever token it brings.

use crate::helpers::rbac::{row, Matrix};
use crate::helpers::Call;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["health"];

#[tokio::test]
async fn the_probes_answer_every_caller() {
    let env = crate::env().await;
    let rows = vec![
        row([200; 6], "GET /health", || Call::new("health/health")),
        row([200; 6], "GET /readiness", || Call::new("health/readiness")),
        row([200; 6], "GET /api/v1/health", || {
            Call::new("health/api-v1-health")
        }),
        // A path no route matches: the same problem 404 for everyone.
        row([404; 6], "ANY $default", || Call::new("health/not-found")),
    ];
    // The probes take no token; every caller comes without one.
    let matrix = Matrix {
        env: &env,
        functions: FUNCTIONS,
        accounts: Default::default(),
    };
    matrix.check(&rows, None).await;
}
