#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wsrx_xml::fuzzing::c14n(data));
