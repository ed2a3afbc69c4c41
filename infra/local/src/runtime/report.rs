//! Lambda-style `START`/`END`/`REPORT` lines and the measurements behind
//! them. Memory is the child process's peak resident set (`VmHWM` in
//! `/proc/<pid>/status`), which is what Lambda's "Max Memory Used" reports
//! for a sandbox.

use std::fmt;

/// The figures of one invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct InvocationReport {
    pub function: String,
    pub request_id: String,
    pub duration_ms: f64,
    /// Lambda bills per started millisecond.
    pub billed_ms: u64,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: u64,
    /// Only on a cold start.
    pub init_duration_ms: Option<f64>,
    /// `None` for a success, else the error type (`Sandbox.Timedout`, …).
    pub error: Option<String>,
}

impl InvocationReport {
    pub fn billed(duration_ms: f64) -> u64 {
        // Lambda rounds up to the next millisecond, at least 1 ms.
        (duration_ms.ceil() as u64).max(1)
    }
}

impl fmt::Display for InvocationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id, self.duration_ms, self.billed_ms, self.memory_size_mb, self.max_memory_used_mb
        )?;
        if let Some(init) = self.init_duration_ms {
            write!(f, "\tInit Duration: {init:.2} ms")?;
        }
        if let Some(error) = &self.error {
            write!(f, "\tStatus: error\tError Type: {error}")?;
        }
        Ok(())
    }
}

/// Peak resident memory of a process in MB, rounded up (0 if unknown).
pub fn peak_memory_mb(pid: Option<u32>) -> u64 {
    let Some(pid) = pid else { return 0 };
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb.div_ceil(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_read_like_lambdas() {
        let report = InvocationReport {
            function: "AuthFunction".into(),
            request_id: "r-1".into(),
            duration_ms: 12.341,
            billed_ms: InvocationReport::billed(12.341),
            memory_size_mb: 256,
            max_memory_used_mb: 21,
            init_duration_ms: Some(40.5),
            error: None,
        };
        assert_eq!(
            report.to_string(),
            "REPORT RequestId: r-1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 21 MB\tInit Duration: 40.50 ms"
        );
    }

    #[test]
    fn billing_rounds_up_to_a_millisecond() {
        assert_eq!(InvocationReport::billed(0.2), 1);
        assert_eq!(InvocationReport::billed(1.0), 1);
        assert_eq!(InvocationReport::billed(1.01), 2);
    }

    #[test]
    fn peak_memory_of_this_process_is_known() {
        assert!(peak_memory_mb(Some(std::process::id())) > 0);
        assert_eq!(peak_memory_mb(None), 0);
    }
}
