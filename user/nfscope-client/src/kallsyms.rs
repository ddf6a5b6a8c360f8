//! Kernel addresses to `function+0xoff/0xsize [module]`, as the kernel's
//! `%pS` prints them, from /proc/kallsyms. The module's records and the BPF
//! tracers' carry raw addresses; both are named here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

/// Why kernel addresses cannot be named.
#[derive(Debug, thiserror::Error)]
pub enum KallsymsError {
    #[error("reading /proc/kallsyms")]
    Io(#[from] std::io::Error),
    #[error("/proc/kallsyms shows no addresses: stacks need CAP_SYSLOG (and kernel.kptr_restrict < 2)")]
    Hidden,
}

struct Symbol {
    addr: u64,
    /// Where the name lies in `Symbols::text`.
    name: (u32, u32),
    /// 0: vmlinux; else 1 + an index into `Symbols::modules`.
    module: u16,
}

/// Parsed with no allocation per symbol: reading a kernel's tens of
/// thousands of them is the start-up cost of every watch.
pub struct Symbols {
    text: String,
    modules: Vec<String>,
    /// Sorted by address.
    syms: Vec<Symbol>,
    /// The kernel image's end (`_end`): no vmlinux symbol covers what lies
    /// beyond (module and BPF code, JIT-ed programs kallsyms may not list).
    image_end: u64,
}

impl Symbols {
    /// Reads /proc/kallsyms. Fails if it shows no addresses (they read as 0
    /// without CAP_SYSLOG, or with kernel.kptr_restrict=2).
    pub fn load() -> Result<Self, KallsymsError> {
        let s = Self::parse(std::fs::read_to_string("/proc/kallsyms")?);
        if s.syms.is_empty() {
            return Err(KallsymsError::Hidden);
        }
        Ok(s)
    }

    pub fn parse(text: impl Into<String>) -> Self {
        let text: String = text.into();
        let base = text.as_ptr() as usize;
        let span = |s: &str| ((s.as_ptr() as usize - base) as u32, (s.as_ptr() as usize - base + s.len()) as u32);
        let mut modules: Vec<String> = Vec::new();
        let mut syms: Vec<Symbol> = Vec::new();
        for l in text.lines() {
            let mut f = l.split_ascii_whitespace();
            let (Some(addr), Some(_kind), Some(name)) = (f.next(), f.next(), f.next()) else { continue };
            let Some(addr) = u64::from_str_radix(addr, 16).ok().filter(|&a| a != 0) else { continue };
            let module = match f.next().map(|m| m.trim_matches(|c| c == '[' || c == ']')) {
                None => 0,
                Some(m) => match modules.iter().rposition(|x| x == m) {
                    Some(i) => i + 1,
                    None => {
                        modules.push(m.to_string());
                        modules.len()
                    }
                },
            };
            syms.push(Symbol { addr, name: span(name), module: module as u16 });
        }
        syms.sort_by_key(|s| s.addr);
        let mut this = Self { text, modules, syms, image_end: u64::MAX };
        this.image_end = this.syms.iter().find(|s| s.module == 0 && this.name_of(s) == "_end").map_or(u64::MAX, |s| s.addr);
        this
    }

    fn name_of(&self, s: &Symbol) -> &str {
        &self.text[s.name.0 as usize..s.name.1 as usize]
    }

    fn module_of(&self, s: &Symbol) -> Option<&str> {
        s.module.checked_sub(1).and_then(|i| self.modules.get(i as usize)).map(String::as_str)
    }

    /// The symbol covering `addr`, its offset and size. A symbol's size is
    /// the distance to the next one of the same image (vmlinux or one
    /// module); the last one of an image (size unknown) covers a page at
    /// most. Nothing of vmlinux covers what lies past its end.
    fn covering(&self, addr: u64) -> Option<(&Symbol, u64, u64)> {
        let i = self.syms.partition_point(|s| s.addr <= addr);
        let sym = &self.syms[i.checked_sub(1)?];
        if sym.module == 0 && addr >= self.image_end {
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
                let module = self.module_of(sym).map(|m| format!(" [{m}]")).unwrap_or_default();
                format!("{}+{off:#x}/{size:#x}{module}", self.name_of(sym))
            }
        }
    }

    /// The function name alone (None if unknown).
    pub fn name(&self, addr: u64) -> Option<&str> {
        self.covering(addr).map(|(s, _, _)| self.name_of(s))
    }

    /// `%ps` of `addr`: `function [module]`, or its hex value.
    pub fn format_name(&self, addr: u64) -> String {
        match self.covering(addr) {
            None => format!("{addr:#x}"),
            Some((sym, _, _)) => match self.module_of(sym) {
                Some(m) => format!("{} [{m}]", self.name_of(sym)),
                None => self.name_of(sym).to_string(),
            },
        }
    }
}

/// Frames of the tracing machinery itself (BPF programs and trampolines,
/// a tracepoint's glue), never of interest; unnamed frames too.
pub fn is_tracing_glue(name: Option<&str>) -> bool {
    name.is_none_or(|n| {
        n.starts_with("bpf_") || n.starts_with("__bpf_trace_") || n.starts_with("__traceiter_") || n.starts_with("__do_trace_")
    })
}

/// Where a [`Symbolizer`] gets names.
enum Source {
    /// /proc/kallsyms, read again (at most once a second) when an address
    /// past the kernel image is not covered, as a module loaded since
    /// shows up.
    Kallsyms { symbols: Symbols, loaded: Instant },
    /// The module, asked once per address (the kernel's own `%pS`).
    Module(crate::Client),
}

/// Names for a stream of records, cached by address.
pub struct Symbolizer {
    source: Source,
    /// `%pS` and `%ps` by address.
    names: AddrMap<String>,
    functions: AddrMap<String>,
}

/// A map keyed by kernel addresses. They come from the kernel, not from
/// an adversary: a multiply-shift hash is enough (SipHash, the default, costs
/// more than the rest of a lookup).
type AddrMap<V> = HashMap<u64, V, BuildHasherDefault<AddrHasher>>;

#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Names cached at most (frames repeat: a burst of drops has few stacks).
const CACHE_MAX: usize = 1 << 16;

impl Symbolizer {
    pub fn load() -> Result<Self, KallsymsError> {
        Ok(Self::new(Symbols::load()?))
    }

    pub fn new(symbols: Symbols) -> Self {
        Self { source: Source::Kallsyms { symbols, loaded: Instant::now() }, names: AddrMap::default(), functions: AddrMap::default() }
    }

    /// Names from the module (`NFSCOPE_CMD_SYMBOLS`).
    pub fn from_module(client: crate::Client) -> Self {
        Self { source: Source::Module(client), names: AddrMap::default(), functions: AddrMap::default() }
    }

    /// `%pS` of `addr`.
    pub fn format(&mut self, addr: u64) -> String {
        if let Some(n) = self.names.get(&addr) {
            return n.clone();
        }
        let name = match &mut self.source {
            Source::Kallsyms { symbols, loaded } => {
                reload_for(symbols, loaded, addr);
                symbols.format(addr)
            }
            // A name the module cannot give: the address, as `%pS` prints
            // what it cannot name.
            Source::Module(client) => client.symbols(&[addr]).ok().and_then(|n| n.into_iter().next()).unwrap_or_else(|| format!("{addr:#x}")),
        };
        if self.names.len() >= CACHE_MAX {
            self.names.clear();
        }
        self.names.insert(addr, name.clone());
        name
    }

    /// `%ps` of `addr`: `function [module]`.
    pub fn format_name(&mut self, addr: u64) -> String {
        if let Some(n) = self.functions.get(&addr) {
            return n.clone();
        }
        let full = self.format(addr);
        let name = match full.split_once('+') {
            Some((function, rest)) => match rest.split_once(" [") {
                Some((_, module)) => format!("{function} [{module}"),
                None => function.to_string(),
            },
            None => full,
        };
        if self.functions.len() >= CACHE_MAX {
            self.functions.clear();
        }
        self.functions.insert(addr, name.clone());
        name
    }

    /// The function name alone (None if unknown; names from /proc/kallsyms
    /// only).
    pub fn name(&self, addr: u64) -> Option<&str> {
        match &self.source {
            Source::Kallsyms { symbols, .. } => symbols.name(addr),
            Source::Module(_) => None,
        }
    }
}

/// Reads /proc/kallsyms again if `addr` lies past the kernel image,
/// uncovered (a module loaded since), at most once a second.
fn reload_for(symbols: &mut Symbols, loaded: &mut Instant, addr: u64) {
    if symbols.covering(addr).is_none() && addr >= symbols.image_end && loaded.elapsed() >= Duration::from_secs(1) {
        *loaded = Instant::now();
        if let Ok(s) = Symbols::load() {
            *symbols = s;
        }
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
        assert_eq!(s.format_name(0xffffffff81001010), "udp_rcv");
        assert_eq!(s.format_name(0xffffffffc0001004), "nft_thing [nf_tables]");
        assert_eq!(s.format_name(0x10), "0x10");
    }

    #[test]
    fn symbolizer_caches_what_it_formats() {
        let mut s = Symbolizer::new(Symbols::parse(TEXT));
        assert_eq!(s.format(0xffffffff81001010), "udp_rcv+0x10/0x100");
        assert_eq!(s.format(0xffffffff81001010), "udp_rcv+0x10/0x100");
        assert_eq!(s.names.len(), 1);
        assert!(is_tracing_glue(Some("__traceiter_kfree_skb")) && !is_tracing_glue(Some("udp_rcv")) && is_tracing_glue(None));
    }
}
