//! The benchmark's statistics and its rendered table.

use super::*;

#[test]
fn percentiles_use_the_nearest_rank() {
    let values: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&values, 50.0), 50.0);
    assert_eq!(percentile(&values, 99.0), 99.0);
    assert_eq!(percentile(&[7.0], 99.0), 7.0);
    assert_eq!(percentile(&[], 50.0), 0.0);
}

#[test]
fn cost_is_billed_gb_seconds_plus_requests() {
    let row = Row {
        name: "x".into(),
        memory_mb: 1024,
        init_ms: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        mean_billed_ms: 1000.0,
        max_memory_mb: 0,
        binary_bytes: None,
    };
    // 1M × 1 GB-s × price + request charge.
    let expected = 1_000_000.0 * PRICE_X86_PER_GB_S + PRICE_PER_MILLION_REQUESTS;
    assert!((row.cost_per_million(PRICE_X86_PER_GB_S) - expected).abs() < 1e-9);
}

#[test]
fn paired_baselines_take_the_median_init_and_the_p50_baseline() {
    let paired = Paired::of(Baseline::GetItem, &[3.0, 1.0, 2.0], &[5.0, 1.0, 4.0, 2.0]);
    assert_eq!(paired.hello_init_ms, 2.0);
    assert_eq!(paired.baseline_p50_ms, 2.0);
}
