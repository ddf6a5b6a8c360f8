//! Compiles the BPF tracers (src/bpf/) with clang-19 and generates their
//! libbpf-rs skeleton.

use libbpf_cargo::SkeletonBuilder;
use std::path::PathBuf;

fn main() {
    let src = "src/bpf/tracers.bpf.c";
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo")).join("tracers.skel.rs");
    let clang = std::env::var("NFSCOPE_BPF_CLANG").unwrap_or_else(|_| "clang-19".into());
    if let Err(e) = SkeletonBuilder::new()
        .source(src)
        .clang(&clang)
        .clang_args(["-Wall", "-Werror", "-Isrc/bpf"])
        .build_and_generate(&out)
    {
        panic!("building {src} with {clang}: {e:#}");
    }
    for f in ["src/bpf/tracers.bpf.c", "src/bpf/kernel.h", "src/bpf/event.h"] {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-env-changed=NFSCOPE_BPF_CLANG");
}
