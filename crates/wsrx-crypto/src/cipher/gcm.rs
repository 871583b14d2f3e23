//! AES-GCM in the `nonce (12) || ciphertext || tag (16)` layout, shared by XML-Enc and sealing.

use aes::Aes192;
use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm, AesGcm, KeyInit};
use zeroize::Zeroizing;

use super::AesKeySize;
use crate::{CryptoError, Result};

/// GCM nonce (IV) length.
pub(crate) const GCM_NONCE_LEN: usize = 12;
/// GCM tag length.
pub(crate) const GCM_TAG_LEN: usize = 16;

type Aes192Gcm = AesGcm<Aes192, U12>;

/// `nonce || AES-GCM(key, nonce, aad, plaintext)`. The key length must already be checked.
pub(crate) fn seal(
    size: AesKeySize,
    key: &[u8],
    nonce: &[u8; GCM_NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let total = GCM_NONCE_LEN
        .saturating_add(plaintext.len())
        .saturating_add(GCM_TAG_LEN);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let tag = {
        let body = out
            .get_mut(GCM_NONCE_LEN..)
            .ok_or(CryptoError::InputTooLong)?;
        match size {
            AesKeySize::Aes128 => encrypt_detached::<Aes128Gcm>(key, nonce, aad, body),
            AesKeySize::Aes192 => encrypt_detached::<Aes192Gcm>(key, nonce, aad, body),
            AesKeySize::Aes256 => encrypt_detached::<Aes256Gcm>(key, nonce, aad, body),
        }
    };
    match tag {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(e) => {
            // `out` may still hold plaintext.
            zeroize::Zeroize::zeroize(&mut out);
            Err(e)
        }
    }
}

/// Opens `nonce || ciphertext || tag`. Every failure is [`CryptoError::DecryptionFailed`].
pub(crate) fn open(
    size: AesKeySize,
    key: &[u8],
    aad: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let (nonce, rest) = data
        .split_at_checked(GCM_NONCE_LEN)
        .ok_or(CryptoError::DecryptionFailed)?;
    let ct_len = rest
        .len()
        .checked_sub(GCM_TAG_LEN)
        .ok_or(CryptoError::DecryptionFailed)?;
    let (ct, tag) = rest.split_at(ct_len);
    let mut out = Zeroizing::new(ct.to_vec());
    match size {
        AesKeySize::Aes128 => {
            decrypt_detached::<Aes128Gcm>(key, nonce, aad, out.as_mut_slice(), tag)
        }
        AesKeySize::Aes192 => {
            decrypt_detached::<Aes192Gcm>(key, nonce, aad, out.as_mut_slice(), tag)
        }
        AesKeySize::Aes256 => {
            decrypt_detached::<Aes256Gcm>(key, nonce, aad, out.as_mut_slice(), tag)
        }
    }?;
    Ok(out)
}

fn encrypt_detached<A>(
    key: &[u8],
    nonce: &[u8; GCM_NONCE_LEN],
    aad: &[u8],
    body: &mut [u8],
) -> Result<Array<u8, U16>>
where
    A: AeadInOut<NonceSize = U12, TagSize = U16> + KeyInit,
{
    let cipher = A::new_from_slice(key).map_err(|_| CryptoError::InputTooLong)?;
    let nonce = Array::from(*nonce);
    cipher
        .encrypt_inout_detached(&nonce, aad, body.into())
        .map_err(|_| CryptoError::InputTooLong)
}

fn decrypt_detached<A>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    body: &mut [u8],
    tag: &[u8],
) -> Result<()>
where
    A: AeadInOut<NonceSize = U12, TagSize = U16> + KeyInit,
{
    let cipher = A::new_from_slice(key).map_err(|_| CryptoError::DecryptionFailed)?;
    let nonce = Array::try_from(nonce).map_err(|_| CryptoError::DecryptionFailed)?;
    let tag = Array::try_from(tag).map_err(|_| CryptoError::DecryptionFailed)?;
    cipher
        .decrypt_inout_detached(&nonce, aad, body.into(), &tag)
        .map_err(|_| CryptoError::DecryptionFailed)
}
