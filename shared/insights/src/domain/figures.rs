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

/// The step of the 1-2-5 series (1, 2, 5, 10, 20, 50, …) at or below `n`
/// (0 for 0): how a count reads in a finding, so the finding changes when
/// the count moves by a step, not by every message.
pub fn step_of(n: u64) -> u64 {
    let mut step = 1u64;
    let mut best = 0;
    while step <= n {
        for factor in [1, 2, 5] {
            match step.checked_mul(factor) {
                Some(candidate) if candidate <= n => best = candidate,
                _ => return best,
            }
        }
        match step.checked_mul(10) {
            Some(next) => step = next,
            None => break,
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_in_steps() {
        let steps: Vec<u64> = [
            0,
            1,
            2,
            4,
            5,
            9,
            10,
            19,
            20,
            49,
            50,
            99,
            100,
            1234,
            u64::MAX,
        ]
        .into_iter()
        .map(step_of)
        .collect();
        assert_eq!(
            steps,
            [
                0,
                1,
                2,
                2,
                5,
                5,
                10,
                10,
                20,
                20,
                50,
                50,
                100,
                1000,
                10_000_000_000_000_000_000
            ]
        );
    }
}
