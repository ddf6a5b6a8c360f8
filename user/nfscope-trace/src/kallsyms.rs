//! Kernel addresses to `function+0xoff/0xsize [module]`, as the kernel's
//! `%pS` prints them, from /proc/kallsyms.

use crate::{Error, Result};

struct Symbol {
    addr: u64,
    name: String,
    module: Option<String>,
}

pub struct Symbols {
    /// Sorted by address.
    syms: Vec<Symbol>,
    /// The kernel image's end (`_end`): no vmlinux symbol covers what lies
    /// beyond (module and BPF code, JIT-ed programs kallsyms may not list).
    image_end: u64,
}

impl Symbols {
    /// Reads /proc/kallsyms. Fails if it shows no addresses (they read as 0
    /// without CAP_SYSLOG, or with kernel.kptr_restrict=2).
    pub fn load() -> Result<Self> {
        let text = std::fs::read_to_string("/proc/kallsyms").map_err(Error::io("reading /proc/kallsyms"))?;
        let s = Self::parse(&text);
        if s.syms.is_empty() {
            return Err(Error::Invalid(
                "/proc/kallsyms shows no addresses: stacks need CAP_SYSLOG (and kernel.kptr_restrict < 2)".into(),
            ));
        }
        Ok(s)
    }

    pub(crate) fn parse(text: &str) -> Self {
        let mut syms: Vec<Symbol> = text
            .lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                let addr = u64::from_str_radix(f.next()?, 16).ok().filter(|&a| a != 0)?;
                let _kind = f.next()?;
                let name = f.next()?.to_string();
                let module = f.next().map(|m| m.trim_matches(|c| c == '[' || c == ']').to_string());
                Some(Symbol { addr, name, module })
            })
            .collect();
        syms.sort_by_key(|s| s.addr);
        let image_end = syms.iter().find(|s| s.name == "_end" && s.module.is_none()).map_or(u64::MAX, |s| s.addr);
        Self { syms, image_end }
    }

    /// The symbol covering `addr`, its offset and size. A symbol's size is
    /// the distance to the next one of the same image (vmlinux or one
    /// module); the last one of an image (size unknown) covers a page at
    /// most. Nothing of vmlinux covers what lies past its end.
    fn covering(&self, addr: u64) -> Option<(&Symbol, u64, u64)> {
        let i = self.syms.partition_point(|s| s.addr <= addr);
        let sym = &self.syms[i.checked_sub(1)?];
        if sym.module.is_none() && addr >= self.image_end {
            return None;
        }
        let size = self.syms[i..]
            .iter()
            .find(|s| s.addr > sym.addr)
            .filter(|n| n.module == sym.module)
            .map_or(0, |n| n.addr - sym.addr);
        let off = addr - sym.addr;
        let covered = if size == 0 { off < 4096 } else { off < size };
        covered.then_some((sym, off, size))
    }

    /// `%pS` of `addr`, or its hex value if no symbol covers it.
    pub fn format(&self, addr: u64) -> String {
        match self.covering(addr) {
            None => format!("{addr:#x}"),
            Some((sym, off, size)) => {
                let module = sym.module.as_ref().map(|m| format!(" [{m}]")).unwrap_or_default();
                format!("{}+{off:#x}/{size:#x}{module}", sym.name)
            }
        }
    }

    /// The function name alone (None if unknown).
    pub fn name(&self, addr: u64) -> Option<&str> {
        self.covering(addr).map(|(s, _, _)| s.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "ffffffff81000000 T _stext\n\
        ffffffff81001000 T udp_rcv\n\
        ffffffff81001100 t helper\n\
        ffffffff82000000 B _end\n\
        0000000000000000 T hidden\n\
        ffffffffc0001000 t nft_thing\t[nf_tables]\n\
        ffffffffc0002000 t other_thing\t[other]\n";

    #[test]
    fn formats_like_percent_ps() {
        let s = Symbols::parse(TEXT);
        assert_eq!(s.format(0xffffffff81001010), "udp_rcv+0x10/0x100");
        assert_eq!(s.format(0xffffffff81001100), "helper+0x0/0xffef00");
        assert_eq!(s.format(0xffffffffc0001004), "nft_thing+0x4/0x0 [nf_tables]");
        // Past the image's end, and past a module's last symbol's page.
        assert_eq!(s.format(0xffffffff9db16e0f), "0xffffffff9db16e0f");
        assert_eq!(s.format(0xffffffffc0001804), "nft_thing+0x804/0x0 [nf_tables]");
        assert_eq!(s.format(0xffffffffc0003100), "0xffffffffc0003100");
        assert_eq!(s.format(0x10), "0x10");
        assert_eq!(s.format(0xffffffffc0101004), "0xffffffffc0101004");
        assert_eq!(s.name(0xffffffffc0101004), None);
        assert_eq!(s.name(0xffffffff81001010), Some("udp_rcv"));
    }
}
