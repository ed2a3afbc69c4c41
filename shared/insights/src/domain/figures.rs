//! The figures scores and findings are made of, and how sentences show
//! them: ramps to a strength in 0..=1, rounding, numbers, shares and
//! durations as a person reads them.

/// `x` placed on the way from `from` (strength 0) to `to` (strength 1),
/// clamped to 0..=1; `from > to` ramps down. NaN is 0: what cannot be
/// measured adds nothing.
pub fn ramp(x: f64, from: f64, to: f64) -> f64 {
    // `clamp` keeps a NaN; `max` then drops it.
    ((x - from) / (to - from)).clamp(0.0, 1.0).max(0.0)
}

pub fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// A number for a sentence: at most `decimals` decimals and no trailing
/// zeros (12500, 12500.5), in exponent form past what anyone reads.
pub fn figure(x: f64, decimals: i32) -> String {
    // + 0.0 turns -0.0, which would read as a sign, into 0.
    let rounded = round_to(x, decimals) + 0.0;
    if rounded.abs() >= 1e15 {
        format!("{rounded:e}")
    } else {
        rounded.to_string()
    }
}

/// A share in 0..=1 as a whole percentage.
pub fn percent(share: f64) -> String {
    figure(share * 100.0, 0)
}

/// Seconds as a person says them: 45s, 12m 5s, 3h, 3h 5m, 2d 4h.
pub fn duration(seconds: f64) -> String {
    // Saturating: a step time past u64 seconds is garbage anyway.
    let total = seconds.round() as u64;
    let (days, hours) = (total / 86_400, total % 86_400 / 3_600);
    let (minutes, secs) = (total % 3_600 / 60, total % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) if secs == 0 => format!("{m}m"),
        (0, 0, m) => format!("{m}m {secs}s"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// The plural ending for `n` of something.
pub fn s(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
