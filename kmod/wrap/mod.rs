// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers, one per C facility nfscope.ko uses. Each registration type
//! unregisters in `Drop` and waits for in-flight callers. Only this layer
//! touches `crate::bindings`.

pub(crate) mod compat;
pub(crate) mod context;
pub(crate) mod fprobe;
pub(crate) mod genetlink;
pub(crate) mod global;
pub(crate) mod getname;
pub(crate) mod lock_bh;
pub(crate) mod lock_irq;
pub(crate) mod net;
pub(crate) mod netfilter;
pub(crate) mod nfhooks;
pub(crate) mod params;
pub(crate) mod pernet;
pub(crate) mod procfs;
pub(crate) mod seqslot;
pub(crate) mod skb;
pub(crate) mod sock;
pub(crate) mod symbols;
pub(crate) mod tracepoint;
pub(crate) mod work;
