// SPDX-License-Identifier: GPL-2.0

//! Sorting for the module, in place and without allocating: a heapsort.
//! `core`'s slice sorts are not used because, built at -O2, their code ends
//! in panic paths objtool does not know to be noreturn ("falls through to
//! next function"), and the module's build takes every warning as an error.

/// Sorts `v` by `key`, ascending (not stable). O(n log n), no recursion.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    let n = v.len();
    for start in (0..n / 2).rev() {
        sift_down(v, start, n, &key);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &key);
    }
}

/// Restores the max-heap below `root` in `v[..end]`.
fn sift_down<T, K: Ord>(v: &mut [T], mut root: usize, end: usize, key: &impl Fn(&T) -> K) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && key(&v[child]) < key(&v[child + 1]) {
            child += 1;
        }
        if key(&v[root]) >= key(&v[child]) {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}
