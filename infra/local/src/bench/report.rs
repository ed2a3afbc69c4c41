//! The benchmark's figures and report: a [`Row`] per function (median
//! init, nearest-rank percentiles, mean billed duration, peak memory, binary
//! size), its cost at Lambda's published prices, and the Markdown table
//! with the machine it was measured on.

use super::{Baseline, BenchOptions, LOGIN_INVOCATIONS};
use crate::runtime::InvocationReport;
use crate::template::FunctionDef;
use std::fmt::Write as _;
use std::path::Path;

/// AWS Lambda prices, us-east-1, first tier, from
/// <https://aws.amazon.com/lambda/pricing/> (USD per GB-second of billed
/// duration, and per million requests).
pub const PRICE_X86_PER_GB_S: f64 = 0.000_016_666_7;
pub const PRICE_ARM_PER_GB_S: f64 = 0.000_013_333_4;
pub const PRICE_PER_MILLION_REQUESTS: f64 = 0.20;

/// Figures for one row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub memory_mb: u32,
    pub init_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_billed_ms: f64,
    pub max_memory_mb: u64,
    pub binary_bytes: Option<u64>,
}

/// A scenario's baselines, measured in turn with it: the median init of a
/// hello-world cold start after each of its cold starts, and the p50 of its
/// [`Baseline`] after each of its warm invocations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    pub hello_init_ms: f64,
    pub baseline: Baseline,
    pub baseline_p50_ms: f64,
}

impl Paired {
    pub fn of(baseline: Baseline, hello_inits: &[f64], measured: &[f64]) -> Self {
        let mut sorted = measured.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self {
            hello_init_ms: median(hello_inits),
            baseline,
            baseline_p50_ms: percentile(&sorted, 50.0),
        }
    }
}

impl Row {
    /// USD per million invocations at the measured mean billed duration.
    pub fn cost_per_million(&self, price_per_gb_s: f64) -> f64 {
        let gb_seconds = self.mean_billed_ms / 1000.0 * f64::from(self.memory_mb) / 1024.0;
        1_000_000.0 * gb_seconds * price_per_gb_s + PRICE_PER_MILLION_REQUESTS
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(super) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 50.0)
}

pub(super) fn row(
    name: &str,
    def: Option<&FunctionDef>,
    binaries: &Path,
    inits: &[f64],
    reports: &[InvocationReport],
) -> Row {
    let mut durations: Vec<f64> = reports.iter().map(|r| r.duration_ms).collect();
    durations.sort_by(f64::total_cmp);
    let billed: f64 =
        reports.iter().map(|r| r.billed_ms as f64).sum::<f64>() / reports.len().max(1) as f64;
    let binary = def.map_or("lambda-probe", |d| d.binary.as_str());
    Row {
        name: name.to_owned(),
        memory_mb: def.map_or(128, |d| d.memory_mb),
        init_ms: median(inits),
        p50_ms: percentile(&durations, 50.0),
        p99_ms: percentile(&durations, 99.0),
        mean_billed_ms: billed,
        max_memory_mb: reports
            .iter()
            .map(|r| r.max_memory_used_mb)
            .max()
            .unwrap_or(0),
        binary_bytes: std::fs::metadata(binaries.join(binary))
            .ok()
            .map(|m| m.len()),
    }
}

pub(super) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or("unknown memory".into(), |kb| {
            format!("{} GiB", kb / 1024 / 1024)
        });
    format!(
        "{cpu}, {cores} cores, {memory}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The `[profile.release]` settings of the workspace's `Cargo.toml` (the
/// build the binaries came from when built by `make bench`), on one line.
pub(super) fn release_profile() -> String {
    release_profile_of(&std::fs::read_to_string("Cargo.toml").unwrap_or_default())
}

fn release_profile_of(manifest: &str) -> String {
    let settings: Vec<&str> = manifest
        .lines()
        .skip_while(|line| line.trim() != "[profile.release]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    if settings.is_empty() {
        "unknown".into()
    } else {
        settings.join(", ")
    }
}

pub(super) fn render(
    rows: &[(Row, Paired)],
    hello: &Row,
    pooled: &[(Baseline, Vec<f64>)],
    options: &BenchOptions,
) -> String {
    let mut out = String::new();
    let now = time::OffsetDateTime::now_utc();
    let _ = writeln!(out, "# Opsflow local benchmark\n");
    let _ = writeln!(
        out,
        "- date: {}-{:02}-{:02} {:02}:{:02} UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    );
    let _ = writeln!(out, "- machine: {}", machine());
    let _ = writeln!(
        out,
        "- build: `[profile.release]` {} (`Cargo.toml`; the profiles compared: [docs/performance.md](../docs/performance.md#builds-and-binaries))",
        release_profile()
    );
    let _ = writeln!(
        out,
        "- workload: {} cold starts and {} warm invocations per scenario ({LOGIN_INVOCATIONS} for login and registration), through opsflow-local against DynamoDB Local; binaries from `{}`",
        options.cold_starts,
        options.warm_invocations,
        options.platform.binaries_dir.display()
    );
    let _ = writeln!(
        out,
        "- cost: mean billed duration × memory × Lambda's price (us-east-1: x86_64 ${PRICE_X86_PER_GB_S}/GB-s, arm64 ${PRICE_ARM_PER_GB_S}/GB-s, plus ${PRICE_PER_MILLION_REQUESTS} per million requests; <https://aws.amazon.com/lambda/pricing/>). Durations measured here on x86_64 are applied to both prices.\n"
    );
    let _ = writeln!(out, "| scenario | memory MB | cold init ms | warm p50 ms | warm p99 ms | max memory MB | binary MB | $/1M x86_64 | $/1M arm64 |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows
        .iter()
        .map(|(row, _)| row)
        .chain(std::iter::once(hello))
    {
        let size = r
            .binary_bytes
            .map_or("?".into(), |b| format!("{:.1}", b as f64 / 1_048_576.0));
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.2} | {:.2} | {} | {} | {:.2} | {:.2} |",
            r.name,
            r.memory_mb,
            r.init_ms,
            r.p50_ms,
            r.p99_ms,
            r.max_memory_mb,
            size,
            r.cost_per_million(PRICE_X86_PER_GB_S),
            r.cost_per_million(PRICE_ARM_PER_GB_S)
        );
    }
    for (baseline, measured) in pooled {
        let mut sorted = measured.clone();
        sorted.sort_by(f64::total_cmp);
        let _ = writeln!(
            out,
            "| baseline: bare {} (in process; every scenario's measurements pooled) | | | {:.2} | {:.2} | | | | |",
            baseline.name(),
            percentile(&sorted, 50.0),
            percentile(&sorted, 99.0)
        );
    }
    let _ = writeln!(out, "\n## Ratios to the baselines\n");
    let _ = writeln!(
        out,
        "Each scenario's baselines are measured in turn with it: a hello-world cold start after each of its cold starts, and its baseline request (a bare `GetItem` for a read, a bare `Query` of a page of ten for a list, a bare `TransactWriteItems` of as many new items as the write's own transaction holds, the session check's conditions aside) after each of its warm invocations.\n"
    );
    let _ = writeln!(
        out,
        "| scenario | cold init ÷ hello-world init | warm p50 ÷ baseline p50 | baseline | hello-world init ms | baseline p50 ms |"
    );
    let _ = writeln!(out, "|---|---:|---:|---|---:|---:|");
    for (r, paired) in rows {
        let _ = writeln!(
            out,
            "| {} | {:.2}× | {:.2}× | {} | {:.1} | {:.2} |",
            r.name,
            r.init_ms / paired.hello_init_ms.max(f64::EPSILON),
            r.p50_ms / paired.baseline_p50_ms.max(f64::EPSILON),
            paired.baseline.name(),
            paired.hello_init_ms,
            paired.baseline_p50_ms
        );
    }
    out
}

#[cfg(test)]
mod profile_tests {
    #[test]
    fn the_release_profile_is_read_from_the_manifest_on_one_line() {
        let manifest = "[profile.dev]\ndebug = 1\n\n# Release.\n[profile.release]\n\
                        lto = false\n# why\ncodegen-units = 16\n\n[profile.release.package.x]\n\
                        opt-level = 3\n";
        assert_eq!(
            super::release_profile_of(manifest),
            "lto = false, codegen-units = 16"
        );
        assert_eq!(super::release_profile_of("[package]\n"), "unknown");
    }
}
