//! Coverage-guided fuzzing of the TOA codec (`scripts/fuzz-toa.sh`): no
//! panic on any option bytes, and a decoded TOA is backed by a whole option.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nfscope_codec::toa::{parse_toa, tcp_options, KindTable};

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(40)];
    if let Ok(Some(t)) = parse_toa(data, &KindTable::default()) {
        assert!(tcp_options(data)
            .map_while(Result::ok)
            .any(|o| o.kind == t.kind && o.data.len() + 2 == usize::from(t.len)));
    }
});
