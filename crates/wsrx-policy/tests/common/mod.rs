//! Shared helpers of the policy test binaries: read a file of `testdata/policies/`,
//! resolving references inside that folder only.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::unwrap_in_result,
    clippy::result_large_err,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use wsrx_policy::{
    EndpointSettings, Fetched, Input, Options, PolicyError, PolicyResolver, PolicySettings, report,
};

pub(crate) fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/policies")
        .join(sub)
}

/// Reads references relative to the folder, inside it only.
pub(crate) struct FolderResolver(pub(crate) PathBuf);

impl PolicyResolver for FolderResolver {
    fn fetch(&mut self, uri: &str, _base: &str) -> Result<Fetched, String> {
        if uri.contains("..") || uri.contains(':') {
            return Err(format!("{uri}: outside the test folder"));
        }
        let bytes =
            std::fs::read(self.0.join(uri)).map_err(|e| format!("{uri}: {:?}", e.kind()))?;
        Ok(Fetched {
            name: uri.to_owned(),
            bytes,
        })
    }
}

pub(crate) fn input(sub: &str, file: &str) -> Result<Input, PolicyError> {
    let bytes = std::fs::read(dir(sub).join(file)).expect("test data");
    Input::read(
        file,
        &bytes,
        &mut FolderResolver(dir(sub)),
        &Options::default(),
    )
}

pub(crate) fn show(sub: &str, file: &str) -> Result<report::Report, PolicyError> {
    Ok(report::describe(
        &input(sub, file)?,
        &Options::default(),
        None,
    ))
}

/// The report of `file`, checked against its snapshot.
pub(crate) fn snapshot(sub: &str, file: &str) -> report::Report {
    let r = show(sub, file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    let name = format!(
        "{}__{}",
        if sub.is_empty() { "vectors" } else { sub },
        file.replace('.', "_")
    );
    settings.bind(|| insta::assert_snapshot!(name, format!("usable: {}\n\n{}", r.usable, r.text)));
    r
}

pub(crate) fn settings(
    sub: &str,
    file: &str,
) -> Vec<(String, Result<EndpointSettings, PolicyError>)> {
    let Input::Wsdl(w) = input(sub, file).unwrap() else {
        panic!("{file} is not a WSDL");
    };
    wsrx_policy::configure_wsdl(&w, &Options::default())
}

pub(crate) fn policies(
    sub: &str,
    file: &str,
) -> Vec<(String, Result<PolicySettings, PolicyError>)> {
    let Input::Policies(d) = input(sub, file).unwrap() else {
        panic!("{file} is not a policy document");
    };
    wsrx_policy::configure_document(&d, &Options::default())
}
