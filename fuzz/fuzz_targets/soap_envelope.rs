#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wsrx_soap::fuzzing::soap_envelope(data));
