//! Memory and CPU time of processes, read from `/proc` (Linux).

use serde::Serialize;
use std::sync::OnceLock;

/// Memory and CPU of one process at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcSample {
    /// Resident set now (`VmRSS`), KiB.
    pub rss_kb: u64,
    /// Peak resident set since the process started (`VmHWM`), KiB.
    pub hwm_kb: u64,
    /// User plus system time (`utime + stime`), clock ticks.
    pub cpu_ticks: u64,
}

/// What a service used during a scenario.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Usage {
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
    pub cpu_s: f64,
}

impl Usage {
    /// From samples at the start and at the end of the measured interval.
    pub fn between(before: ProcSample, after: ProcSample) -> Self {
        let mib = |kb: u64| crate::stats::round3(kb as f64 / 1024.0);
        Self {
            rss_mib: mib(after.rss_kb),
            peak_rss_mib: mib(after.hwm_kb),
            cpu_s: ticks_to_seconds(after.cpu_ticks.saturating_sub(before.cpu_ticks)),
        }
    }
}

/// `(VmHWM, VmRSS)` in KiB from the text of `/proc/<pid>/status`.
pub fn parse_status(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// `utime + stime` in clock ticks from the text of `/proc/<pid>/stat`. The command name (field
/// 2) is in parentheses and may hold spaces or parentheses itself, so fields are counted from
/// the last `)`.
pub fn parse_stat_cpu(text: &str) -> Option<u64> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Samples a process; `None` when it is gone.
pub fn sample(pid: u32) -> Option<ProcSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (hwm_kb, rss_kb) = parse_status(&status)?;
    Some(ProcSample {
        rss_kb,
        hwm_kb,
        cpu_ticks: parse_stat_cpu(&stat)?,
    })
}

/// This process.
pub fn sample_self() -> Option<ProcSample> {
    sample(std::process::id())
}

/// CPU ticks used so far by every process whose command name is `comm` (such as `postgres` or
/// `beam.smp`), summed. Processes that ended in between are not counted.
pub fn cpu_ticks_of(comm: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim_end() == comm)
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|s| parse_stat_cpu(&s))
        .sum()
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 on every usual Linux).
pub fn clock_ticks_per_second() -> u64 {
    static TCK: OnceLock<u64> = OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

pub fn ticks_to_seconds(ticks: u64) -> f64 {
    crate::stats::round3(ticks as f64 / clock_ticks_per_second() as f64)
}

/// Busy and total ticks of the whole machine, from the first line of `/proc/stat`.
pub fn machine_ticks() -> Option<(u64, u64)> {
    parse_machine_ticks(&std::fs::read_to_string("/proc/stat").ok()?)
}

fn parse_machine_ticks(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_stat() {
        let status =
            "Name:\thookd-ingest\nVmPeak:\t  900000 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   30720 kB\n";
        assert_eq!(parse_status(status), Some((40960, 30720)));
        assert_eq!(parse_status("Name: x\n"), None);

        // The command name may contain spaces and parentheses.
        let stat =
            "1234 (we (ird) name) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_stat_cpu(stat), Some(325));
        assert_eq!(parse_stat_cpu("1 (x) S 1"), None);
    }

    #[test]
    fn samples_this_process() {
        let s = sample_self().expect("/proc/self");
        assert!(s.rss_kb > 0 && s.hwm_kb >= s.rss_kb);
        assert!(sample(u32::MAX).is_none());
        let u = Usage::between(ProcSample::default(), s);
        assert!(u.peak_rss_mib >= u.rss_mib);
    }

    #[test]
    fn machine_busy_ticks() {
        let text = "cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(parse_machine_ticks(text), Some((161, 981)));
    }
}
