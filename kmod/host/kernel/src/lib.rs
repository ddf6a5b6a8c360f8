// SPDX-License-Identifier: GPL-2.0

//! The kernel crate's names that nfscope's host-tested module files use
//! (`KVec`, GFP flags, `CStr`), with the kernel's signatures, over `std`.
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
    pub const GFP_ATOMIC: Flags = Flags(1);

    /// `kernel::alloc::KVec`: a vector whose growth can fail.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct KVec<T>(Vec<T>);

    impl<T> KVec<T> {
        pub const fn new() -> Self {
            Self(Vec::new())
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
}
