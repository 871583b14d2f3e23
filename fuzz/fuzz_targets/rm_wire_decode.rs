#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wsrx_rm::wire::fuzzing::fuzz_decode(data));
