//! Seeded property tests on generated policies (`WSRX_SEED=<n>` replays a run; the seed
//! is printed): the alternative count computed before expansion equals the number of
//! alternatives expanded; the normal form is a fixed point of normalization; a policy
//! is compatible with itself; lax intersection keeps at least what strict keeps; the
//! intersection is symmetric in size.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_policy::{Input, IntersectionMode, NoResolver, NormalPolicy, Options, Policy};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random policy expression: operators, assertions (optional, ignorable, nested).
fn expression(rng: &mut Rng, depth: u32, out: &mut String) {
    let choice = if depth == 0 { 3 } else { rng.below(5) };
    match choice {
        0 | 1 => {
            let op = if choice == 0 { "All" } else { "ExactlyOne" };
            out.push_str(&format!("<wsp:{op}>"));
            for _ in 0..rng.below(3) + 1 {
                expression(rng, depth - 1, out);
            }
            out.push_str(&format!("</wsp:{op}>"));
        }
        2 => {
            out.push_str(&format!("<t:N{}>", rng.below(3)));
            out.push_str("<wsp:Policy>");
            for _ in 0..rng.below(3) {
                expression(rng, depth - 1, out);
            }
            out.push_str("</wsp:Policy>");
            out.push_str(&format!("</t:N{}>", 0));
        }
        _ => {
            let optional = if rng.below(4) == 0 {
                " wsp:Optional=\"true\""
            } else {
                ""
            };
            let ignorable = if rng.below(4) == 0 {
                " wsp:Ignorable=\"true\""
            } else {
                ""
            };
            out.push_str(&format!("<t:A{}{optional}{ignorable}/>", rng.below(4)));
        }
    }
}

fn generate(rng: &mut Rng) -> Policy {
    let mut body = String::new();
    for _ in 0..rng.below(3) + 1 {
        expression(rng, 3, &mut body);
    }
    // Nested assertions close with the name they opened with.
    let body = fix_names(&body);
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="http://www.w3.org/ns/ws-policy" xmlns:t="urn:t">{body}</wsp:Policy>"#
    );
    let Input::Policies(d) = Input::read(
        "gen.xml",
        xml.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}\n{xml}")) else {
        panic!()
    };
    d.subjects[0].policy.clone()
}

/// Makes every `</t:N0>` close the `<t:Nk>` it belongs to.
fn fix_names(s: &str) -> String {
    let mut out = String::new();
    let mut stack = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('>').unwrap() + i + 1;
        let tag = &rest[i..j];
        if let Some(name) = tag.strip_prefix("<t:N").and_then(|t| t.strip_suffix('>')) {
            stack.push(name.to_owned());
            out.push_str(tag);
        } else if tag.starts_with("</t:N") {
            out.push_str(&format!("</t:N{}>", stack.pop().unwrap()));
        } else {
            out.push_str(tag);
        }
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

fn reread(n: &NormalPolicy) -> NormalPolicy {
    let text = n.to_xml();
    let Input::Policies(d) = Input::read(
        "n.xml",
        text.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
    .unwrap() else {
        panic!()
    };
    d.subjects[0].policy.normalize(usize::MAX).unwrap()
}

#[test]
fn generated_policies_keep_the_normal_form_laws() {
    let seed = std::env::var("WSRX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            use std::hash::{BuildHasher, RandomState};
            RandomState::new().hash_one("policy-properties")
        });
    println!("seed {seed} (replay with WSRX_SEED={seed})");
    let mut rng = Rng(seed);
    let mut nonempty = 0;
    for case in 0..400 {
        let p = generate(&mut rng);
        let q = generate(&mut rng);
        let context = format!("case {case}, replay with WSRX_SEED={seed}");
        let Ok(np) = p.normalize(64) else { continue };
        let Ok(nq) = q.normalize(64) else { continue };
        assert_eq!(
            p.alternative_count(),
            Some(np.alternatives.len() as u64),
            "{context}"
        );
        let again = reread(&np);
        assert_eq!(again.alternatives.len(), np.alternatives.len(), "{context}");
        assert_eq!(
            again.to_xml(),
            np.to_xml(),
            "{context}: the normal form is a fixed point"
        );
        for mode in [IntersectionMode::Strict, IntersectionMode::Lax] {
            assert!(
                np.intersect(&np, mode).alternatives.len() >= np.alternatives.len(),
                "{context}"
            );
        }
        let strict = np
            .intersect(&nq, IntersectionMode::Strict)
            .alternatives
            .len();
        let lax = np.intersect(&nq, IntersectionMode::Lax).alternatives.len();
        assert!(
            lax >= strict,
            "{context}: lax keeps at least what strict keeps"
        );
        assert_eq!(
            strict,
            nq.intersect(&np, IntersectionMode::Strict)
                .alternatives
                .len(),
            "{context}"
        );
        let mismatched = np.mismatches(&nq, IntersectionMode::Strict).len();
        assert_eq!(
            strict + mismatched,
            np.alternatives.len() * nq.alternatives.len(),
            "{context}"
        );
        nonempty += usize::from(strict > 0);
    }
    assert!(
        nonempty > 10,
        "the generator rarely yields compatible pairs ({nonempty})"
    );
}
