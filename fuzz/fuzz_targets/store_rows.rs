#![no_main]
#[path = "../harness/store_rows.rs"]
mod store_rows;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = store_rows::store_rows(data);
});
