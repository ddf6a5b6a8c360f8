//! nfscope's tracers besides the module's own probes: BPF programs loaded
//! with libbpf-rs (work without the module, on any kernel with BTF), and the
//! kernel's trace events under tracefs. Records come out in the module's
//! record shape ([`nfscope_events::DropRecord`]).

pub mod bpf;
pub mod caps;
pub mod changes;
mod event;
pub mod reasons;
pub mod tracefs;

/// What can go wrong, each saying what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} needs {caps}; this process lacks it (run as root, or grant the capability)")]
    MissingCapability { what: String, caps: &'static str },
    #[error(
        "no kernel BTF at {path}: the kernel was built without CONFIG_DEBUG_INFO_BTF, so BPF tracers \
         cannot run here (the module's probes can: nfscope drops watch)"
    )]
    NoBtf { path: &'static str },
    #[error("tracefs is not mounted: mount it with `mount -t tracefs nodev /sys/kernel/tracing`")]
    TracefsNotMounted,
    #[error("unknown tracer {0:?}: `nfscope trace list` shows the ones there are")]
    UnknownTracer(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("{what}: {source}")]
    Bpf { what: String, source: libbpf_rs::Error },
}

impl Error {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }

    pub(crate) fn bpf(what: impl Into<String>) -> impl FnOnce(libbpf_rs::Error) -> Self {
        let what = what.into();
        move |source| Self::Bpf { what, source }
    }
}

impl From<nfscope_client::kallsyms::KallsymsError> for Error {
    fn from(e: nfscope_client::kallsyms::KallsymsError) -> Self {
        Self::Invalid(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
