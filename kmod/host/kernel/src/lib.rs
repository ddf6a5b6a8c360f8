// SPDX-License-Identifier: GPL-2.0

//! The kernel crate's names that nfscope's host-tested module files use
//! (`KVec`/`KVVec`, GFP flags, `CStr`, `Result`), with the kernel's
//! signatures, over `std`.
//! Only what those files call; anything else is a compile error, which
//! keeps a module file that grows a kernel dependency out of the host build.

pub mod prelude {
    pub use core::ffi::CStr;

    /// An allocation failed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct AllocError;

    /// Allocation flags (ignored on the host).
    #[derive(Debug, Clone, Copy)]
    pub struct Flags(#[allow(dead_code)] u32);

    pub const GFP_KERNEL: Flags = Flags(0);

    /// A kernel error (only allocation failures arise on the host).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Error;

    impl From<AllocError> for Error {
        fn from(_: AllocError) -> Self {
            Error
        }
    }

    /// `kernel::error::Result`.
    pub type Result<T = (), E = Error> = core::result::Result<T, E>;

    /// `kernel::alloc::KVec`: a vector whose growth can fail.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct KVec<T>(Vec<T>);

    impl<T> KVec<T> {
        pub const fn new() -> Self {
            Self(Vec::new())
        }

        pub fn with_capacity(n: usize, _flags: Flags) -> Result<Self, AllocError> {
            let mut v = Vec::new();
            v.try_reserve_exact(n).map_err(|_| AllocError)?;
            Ok(Self(v))
        }

        pub fn push(&mut self, value: T, _flags: Flags) -> Result<(), AllocError> {
            self.0.try_reserve(1).map_err(|_| AllocError)?;
            self.0.push(value);
            Ok(())
        }
    }

    impl<T> Default for KVec<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> core::ops::Deref for KVec<T> {
        type Target = [T];
        fn deref(&self) -> &[T] {
            &self.0
        }
    }

    impl<T> core::ops::DerefMut for KVec<T> {
        fn deref_mut(&mut self) -> &mut [T] {
            &mut self.0
        }
    }
}

pub mod alloc {
    /// `kernel::alloc::KVVec` (kmalloc or vmalloc): the same API as `KVec`.
    pub use crate::prelude::KVec as KVVec;
}
