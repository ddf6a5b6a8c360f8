//! `nfscope conntrack stats`: per-CPU conntrack counters of
//! `/proc/net/stat/nf_conntrack` (this namespace), as deltas over an
//! interval, with the counters that mean lost packets highlighted.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::io::Write;
use std::time::Duration;

/// Counters that mean packets were dropped or connections not tracked.
/// (`clashres` counts clashes the kernel resolved without dropping: not trouble.)
pub const TROUBLE: [&str; 3] = ["insert_failed", "drop", "early_drop"];

/// One read of the file: counter names and one row of values per CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConntrackStat {
    pub names: Vec<String>,
    pub cpus: Vec<Vec<u64>>,
}

impl ConntrackStat {
    /// Parses the file: a header of names, then one line of hex values per CPU.
    pub fn parse(text: &str) -> Result<Self> {
        let mut lines = text.lines();
        let names: Vec<String> = lines.next().context("empty nf_conntrack stat file")?.split_whitespace().map(String::from).collect();
        let mut cpus = Vec::new();
        for (i, line) in lines.enumerate() {
            let row = line
                .split_whitespace()
                .map(|v| u64::from_str_radix(v, 16))
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("CPU line {i} is not hex: {line}"))?;
            if row.len() != names.len() {
                bail!("CPU line {i} has {} values for {} names", row.len(), names.len());
            }
            cpus.push(row);
        }
        Ok(Self { names, cpus })
    }

    pub fn read() -> Result<Self> {
        let path = "/proc/net/stat/nf_conntrack";
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading {path}: is conntrack loaded (modprobe nf_conntrack) and procfs mounted?"))?;
        Self::parse(&text)
    }

    /// `self - earlier`, per CPU (wrapping, as counters may wrap).
    pub fn delta(&self, earlier: &Self) -> Self {
        let cpus = self
            .cpus
            .iter()
            .zip(&earlier.cpus)
            .map(|(now, then)| now.iter().zip(then).map(|(a, b)| a.wrapping_sub(*b)).collect())
            .collect();
        Self { names: self.names.clone(), cpus }
    }

    pub fn total(&self, name: &str) -> Option<u64> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(self.cpus.iter().map(|row| row[i]).sum())
    }
}

#[derive(Serialize)]
struct CpuRow<'a> {
    cpu: usize,
    counters: std::collections::BTreeMap<&'a str, u64>,
}

/// Prints a table: one row per CPU, plus totals; TROUBLE counters that are
/// not zero are marked with `!`.
fn print(out: &mut impl Write, s: &ConntrackStat, json: bool, interval: Option<Duration>) -> Result<()> {
    if json {
        for (cpu, row) in s.cpus.iter().enumerate() {
            let counters = s.names.iter().map(String::as_str).zip(row.iter().copied()).collect();
            crate::output::json_line(out, "conntrack_cpu", &CpuRow { cpu, counters })?;
        }
        return Ok(());
    }
    let cols: Vec<usize> = (0..s.names.len()).filter(|&i| s.names[i] != "entries" || interval.is_none()).collect();
    write!(out, "{:>4}", "CPU")?;
    for &i in &cols {
        write!(out, " {:>14}", s.names[i])?;
    }
    writeln!(out)?;
    let mark = |name: &str, v: u64| if v != 0 && TROUBLE.contains(&name) { format!("{v}!") } else { v.to_string() };
    for (cpu, row) in s.cpus.iter().enumerate() {
        write!(out, "{cpu:>4}")?;
        for &i in &cols {
            write!(out, " {:>14}", mark(&s.names[i], row[i]))?;
        }
        writeln!(out)?;
    }
    write!(out, "{:>4}", "all")?;
    for &i in &cols {
        write!(out, " {:>14}", mark(&s.names[i], s.total(&s.names[i]).unwrap_or(0)))?;
    }
    writeln!(out)?;
    Ok(())
}

/// Without `watch`: counters since boot. With it: deltas every `watch`,
/// `count` times (forever if `None`).
pub fn stats(out: &mut impl Write, json: bool, watch: Option<Duration>, count: Option<u64>) -> Result<()> {
    let mut last = ConntrackStat::read()?;
    let Some(every) = watch else {
        return print(out, &last, json, None);
    };
    let mut n = 0;
    while count.is_none_or(|c| n < c) {
        std::thread::sleep(every);
        let now = ConntrackStat::read()?;
        if !json {
            writeln!(out, "-- deltas over {:?} (! = packets lost or not tracked)", every)?;
        }
        print(out, &now.delta(&last), json, Some(every))?;
        out.flush()?;
        last = now;
        n += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "entries  clashres found     new      invalid  ignore   delete   chainlength insert   insert_failed drop     early_drop icmp_error  expect_new expect_create expect_delete search_restart
0000000a  00000000 00000000 00000000 00000002 00000000 00000000 00000000 00000000 00000003 00000003 00000000 00000000  00000000 00000000 00000000 00000000
0000000a  00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000 00000010 00000010 00000000 00000000  00000000 00000000 00000000 00000000
";

    #[test]
    fn parses_per_cpu_hex_and_totals() {
        let s = ConntrackStat::parse(SAMPLE).unwrap();
        assert_eq!(s.cpus.len(), 2);
        assert_eq!(s.total("insert_failed"), Some(19));
        assert_eq!(s.total("invalid"), Some(3));
    }

    #[test]
    fn deltas_and_marks() {
        let a = ConntrackStat::parse(SAMPLE).unwrap();
        let mut b = a.clone();
        let i = b.names.iter().position(|n| n == "insert_failed").unwrap();
        b.cpus[1][i] += 5;
        let d = b.delta(&a);
        assert_eq!(d.total("insert_failed"), Some(5));
        let mut text = Vec::new();
        print(&mut text, &d, false, Some(Duration::from_secs(1))).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.lines().any(|l| l.trim_start().starts_with("1 ") && l.contains("5!")), "{text}");
    }

    #[test]
    fn rejects_garbage() {
        assert!(ConntrackStat::parse("a b\n1 zz\n").is_err());
        assert!(ConntrackStat::parse("a b\n1\n").is_err());
    }
}
