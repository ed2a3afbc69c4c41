//! `opsflow-openapi`: writes the API's OpenAPI description.
//!
//! ```text
//! opsflow-openapi [--out docs/openapi.json]   write it
//! opsflow-openapi --check                     exit 1 if the file is stale
//! ```

use anyhow::Context;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut out = PathBuf::from(opsflow_openapi::DOCUMENT_PATH);
    let mut check = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--out" => out = args.next().context("--out needs a path")?.into(),
            other => anyhow::bail!("unknown argument {other}; try --out PATH or --check"),
        }
    }
    let text = opsflow_openapi::render()?;
    if check {
        let current = std::fs::read_to_string(&out).unwrap_or_default();
        if current != text {
            anyhow::bail!("{} is stale: run `make openapi`", out.display());
        }
        return Ok(());
    }
    std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}
