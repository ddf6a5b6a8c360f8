//! Generates `uapi.rs` from the module's UAPI header, the single source of truth
//! for the generic netlink family.

use std::env;
use std::path::PathBuf;

fn main() {
    let header = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../include/uapi/nfscope.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let bindings = bindgen::Builder::default()
        .header(header.to_string_lossy())
        .use_core()
        .allowlist_item("(NFSCOPE|nfscope)_.*")
        .prepend_enum_name(false)
        .derive_default(true)
        .generate()
        .expect("bindgen could not read kmod/include/uapi/nfscope.h (is libclang installed?)");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("uapi.rs");
    bindings.write_to_file(out).expect("writing uapi.rs");
}
