//! Fuzz driver for the TOA codec, std only (no nightly needed):
//! `cargo run --release -p nfscope-codec --example fuzz_toa -- [ITERATIONS] [SEED]`.
//!
//! Inputs are random option lists and mutations (bit flips, truncation,
//! insertion, splicing) of the DESIGN vectors and of every layout. For each,
//! `parse_toa` must not panic, and what it returns must be backed by the
//! input: the reported option (kind, len) starts in the input at an option
//! boundary and fits inside it. Prints the iterations run and outcome counts.

use nfscope_codec::toa::{parse_toa, tcp_options, KindTable, Layout, ToaError};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut s = vec![
        vec![0xc8, 0x08, 0x30, 0x39, 0x0a, 0x0a, 0x01, 0x01],
        vec![0xfe, 0x08, 0x05, 0x22, 0x7f, 0x00, 0x00, 0x01],
        vec![0xfd, 0x14, 0x01, 0xbb, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42],
        vec![0x1c, 0x07, 0x01, 0xcb, 0x00, 0x71, 0x05],
        vec![0xfe, 0x08, 0xf9, 0x89, 1, 2, 3, 4],
        vec![2, 4, 5, 0xb4, 1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0],
        vec![201, 6, 0, 0, 0x30, 0x39, 200, 8, 0, 80, 8, 8, 8, 8],
    ];
    // One option of every layout at each of its lengths, in its default kind.
    let kinds = KindTable::default();
    for kind in 0..=255u8 {
        for l in kinds.layouts_of(kind).collect::<Vec<Layout>>() {
            for &len in l.lengths() {
                let mut o = vec![kind, len];
                o.extend((2..len).map(|i| i.wrapping_mul(37)));
                if l == Layout::Cdn {
                    o[2] = if len == 7 { 1 } else { 2 };
                }
                s.push(o);
            }
        }
    }
    s
}

fn mutate(rng: &mut XorShift, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            2 => v.truncate(rng.below(v.len() + 1)),
            3 if v.len() < 40 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, [0u8, 1, 2, 0xfe, 0xc8][rng.below(5)]);
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                v.extend_from_slice(&other[..rng.below(other.len() + 1)]);
            }
            _ => {}
        }
    }
    v.truncate(40);
    v
}

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: u64 = args.next().map_or(10_000_000, |a| a.parse().expect("ITERATIONS"));
    let seed: u64 = args.next().map_or(0x9e37_79b9_7f4a_7c15, |a| a.parse().expect("SEED"));
    let mut rng = XorShift(seed | 1);
    let seeds = seeds();
    let kinds = KindTable::default();
    let (mut decoded, mut none, mut malformed) = (0u64, 0u64, 0u64);
    for _ in 0..iterations {
        let input = if rng.below(4) == 0 {
            (0..rng.below(41)).map(|_| rng.next() as u8).collect()
        } else {
            mutate(&mut rng, &seeds)
        };
        match parse_toa(&input, &kinds) {
            Ok(Some(t)) => {
                decoded += 1;
                // The reported option must be one the walk yields, whole.
                let found = tcp_options(&input).map_while(Result::ok).any(|o| o.kind == t.kind && o.data.len() + 2 == usize::from(t.len));
                assert!(found, "decoded {t:?} from {input:02x?} without such an option");
            }
            Ok(None) => none += 1,
            Err(ToaError::OptionList | ToaError::Length { .. } | ToaError::Version { .. }) => malformed += 1,
        }
    }
    println!("fuzz_toa: {iterations} inputs, {decoded} decoded, {none} without TOA, {malformed} malformed, no panic");
}
