//! The three ways to agree on a context key (WS-Trust 1.3 §4.4.3; spec-facts §3.2):
//!
//! | requester sends | issuer answers | key |
//! |---|---|---|
//! | Entropy of Type `SymmetricKey` (or no Type), no ComputedKeyAlgorithm | no proof token | the requester's bytes |
//! | nothing | `RequestedProofToken/BinarySecret` | the issuer's bytes |
//! | Entropy of Type `Nonce` and/or a ComputedKeyAlgorithm | `ComputedKey` + issuer Entropy + KeySize | `P_SHA1(secret = requester entropy, seed = issuer entropy)[0 .. KeySize/8]` |

use wsrx_crypto::{SecretKey, SecureRandom, computed_key};

use crate::error::{LocalError, TrustFault};
use crate::trust::{BinarySecret, ProofToken, Rst, Rstr, SecretType};

/// Which key-agreement mode a requester asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntropyMode {
    /// The requester's entropy is the key.
    Requester,
    /// The issuer chooses the key and returns it as a BinarySecret proof token.
    Issuer,
    /// Both contribute; the key is computed (WCF's default, CombinedEntropy).
    Combined,
}

/// The key-related parts of an issuer's answer.
#[derive(Debug)]
pub(crate) struct IssuedKey {
    pub(crate) secret: SecretKey,
    pub(crate) proof: Option<ProofToken>,
    pub(crate) entropy: Option<BinarySecret>,
    pub(crate) key_size: Option<u32>,
}

/// Issuer policy for keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyPolicy {
    pub(crate) default_bits: u32,
    pub(crate) min_bits: u32,
    pub(crate) accept_requester_key: bool,
    pub(crate) combine: bool,
}

/// Issuer side: the key for `rst` under `policy`.
pub(crate) fn issue_key<R: SecureRandom + ?Sized>(
    rst: &Rst,
    policy: KeyPolicy,
    rng: &mut R,
) -> Result<IssuedKey, TrustFault> {
    let d = rst.dialect;
    let bits = rst.key_size.unwrap_or(policy.default_bits);
    if bits < policy.min_bits {
        return Err(TrustFault::BadRequest("key size too small"));
    }
    let random = |rng: &mut R| {
        rng.generate_key((bits / 8) as usize)
            .map_err(|_| TrustFault::RequestFailed("randomness unavailable"))
    };
    if let Some(alg) = &rst.computed_key_algorithm
        && alg != d.computed_key_uri()
    {
        return Err(TrustFault::BadRequest("unsupported ComputedKeyAlgorithm"));
    }
    let Some(requester) = &rst.entropy else {
        let secret = random(rng)?;
        return Ok(IssuedKey {
            proof: Some(ProofToken::BinarySecret(BinarySecret {
                kind: SecretType::SymmetricKey,
                value: secret.clone(),
            })),
            secret,
            entropy: None,
            key_size: Some(bits),
        });
    };
    let combine = requester.kind == SecretType::Nonce || rst.computed_key_algorithm.is_some();
    if combine {
        if !policy.combine {
            return Err(TrustFault::BadRequest("combined entropy not offered"));
        }
        let issuer = random(rng)?;
        let secret = computed_key(
            requester.value.expose_secret(),
            issuer.expose_secret(),
            u64::from(bits),
        )
        .map_err(|_| TrustFault::BadRequest("entropy out of bounds"))?;
        return Ok(IssuedKey {
            secret,
            proof: Some(ProofToken::ComputedKey(d.computed_key_uri().to_owned())),
            entropy: Some(BinarySecret {
                kind: SecretType::Nonce,
                value: issuer,
            }),
            key_size: Some(bits),
        });
    }
    let len_bits = u32::try_from(requester.value.len().saturating_mul(8)).unwrap_or(u32::MAX);
    if !policy.accept_requester_key || len_bits < policy.min_bits {
        return Err(TrustFault::BadRequest("requester key not accepted"));
    }
    Ok(IssuedKey {
        secret: requester.value.clone(),
        proof: None,
        entropy: None,
        key_size: Some(len_bits),
    })
}

/// Requester side: what to send for `mode`, and the entropy to keep until the answer.
pub(crate) fn request_entropy<R: SecureRandom + ?Sized>(
    rst: &mut Rst,
    mode: EntropyMode,
    bits: u32,
    rng: &mut R,
) -> Result<Option<SecretKey>, LocalError> {
    rst.key_size = Some(bits);
    let kind = match mode {
        EntropyMode::Issuer => return Ok(None),
        EntropyMode::Requester => SecretType::SymmetricKey,
        EntropyMode::Combined => {
            rst.computed_key_algorithm = Some(rst.dialect.computed_key_uri().to_owned());
            SecretType::Nonce
        }
    };
    let value = rng.generate_key((bits / 8) as usize)?;
    rst.entropy = Some(BinarySecret {
        kind,
        value: value.clone(),
    });
    Ok(Some(value))
}

/// Requester side: the key the response establishes, given our entropy and key size.
pub(crate) fn key_from_response(
    rstr: &Rstr,
    own: Option<&SecretKey>,
    requested_bits: u32,
) -> Result<SecretKey, &'static str> {
    match (&rstr.proof, own) {
        (Some(ProofToken::BinarySecret(s)), _) => Ok(s.value.clone()),
        (Some(ProofToken::ComputedKey(uri)), Some(own)) => {
            if uri != rstr.dialect.computed_key_uri() {
                return Err("unsupported computed key algorithm");
            }
            let issuer = rstr
                .entropy
                .as_ref()
                .ok_or("computed key without entropy")?;
            let bits = rstr.key_size.unwrap_or(requested_bits);
            computed_key(
                own.expose_secret(),
                issuer.value.expose_secret(),
                u64::from(bits),
            )
            .map_err(|_| "computed key out of bounds")
        }
        (Some(ProofToken::ComputedKey(_)), None) => Err("computed key but we sent no entropy"),
        // The session decrypts these with its certificate key first.
        (Some(ProofToken::EncryptedKey(_)), _) => Err("encrypted proof token not decrypted"),
        (None, Some(own)) => Ok(own.clone()),
        (None, None) => Err("no proof token"),
    }
}
