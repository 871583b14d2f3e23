//! AES-CBC with XML-Enc padding (see the parent module for the layout).

use ::cbc::cipher::array::Array;
use ::cbc::cipher::consts::U16;
use ::cbc::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
};
use aes::{Aes128, Aes192, Aes256};
use zeroize::Zeroizing;

use super::AesKeySize;
use crate::{CryptoError, Result, SecureRandom};

/// AES block length, also the CBC IV length.
pub(crate) const BLOCK_LEN: usize = 16;

/// `IV || AES-CBC(plaintext || filler || n)`.
pub(crate) fn encrypt<R: SecureRandom + ?Sized>(
    size: AesKeySize,
    key: &[u8],
    rng: &mut R,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let pad = BLOCK_LEN - plaintext.len() % BLOCK_LEN; // 1..=16
    let body_len = plaintext
        .len()
        .checked_add(pad)
        .ok_or(CryptoError::InputTooLong)?;
    let mut out = vec![0u8; BLOCK_LEN.saturating_add(body_len)];
    let (iv, body) = out.split_at_mut(BLOCK_LEN);
    let (data, padding) = body.split_at_mut(plaintext.len());
    // Randomness first: if it fails, no plaintext has been copied into `out`.
    rng.fill_nonce(iv)?;
    if let Some((last, filler)) = padding.split_last_mut() {
        rng.fill_nonce(filler)?;
        // `pad` is 1..=16.
        *last = u8::try_from(pad).map_err(|_| CryptoError::InputTooLong)?;
    }
    data.copy_from_slice(plaintext);
    match size {
        AesKeySize::Aes128 => encrypt_blocks::<Aes128>(key, iv, body),
        AesKeySize::Aes192 => encrypt_blocks::<Aes192>(key, iv, body),
        AesKeySize::Aes256 => encrypt_blocks::<Aes256>(key, iv, body),
    }?;
    Ok(out)
}

/// Decrypts `IV || ciphertext` and strips XML-Enc padding. Every failure is
/// [`CryptoError::DecryptionFailed`].
pub(crate) fn decrypt(size: AesKeySize, key: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let (iv, ct) = data
        .split_at_checked(BLOCK_LEN)
        .ok_or(CryptoError::DecryptionFailed)?;
    if ct.is_empty() || !ct.len().is_multiple_of(BLOCK_LEN) {
        return Err(CryptoError::DecryptionFailed);
    }
    let mut out = Zeroizing::new(ct.to_vec());
    match size {
        AesKeySize::Aes128 => decrypt_blocks::<Aes128>(key, iv, &mut out),
        AesKeySize::Aes192 => decrypt_blocks::<Aes192>(key, iv, &mut out),
        AesKeySize::Aes256 => decrypt_blocks::<Aes256>(key, iv, &mut out),
    }?;
    // Only the last byte is checked: 1..=16 (hence also <= the decrypted length, at least 16).
    let pad = usize::from(out.last().copied().unwrap_or(0));
    if pad == 0 || pad > BLOCK_LEN || pad > out.len() {
        return Err(CryptoError::DecryptionFailed);
    }
    let keep = out.len() - pad;
    out.truncate(keep);
    Ok(out)
}

fn encrypt_blocks<C>(key: &[u8], iv: &[u8], body: &mut [u8]) -> Result<()>
where
    C: BlockCipherEncrypt<BlockSize = U16> + KeyInit,
{
    let mut enc = ::cbc::Encryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::DecryptionFailed)?;
    let (blocks, rest) = Array::slice_as_chunks_mut(body);
    if !rest.is_empty() {
        return Err(CryptoError::DecryptionFailed);
    }
    enc.encrypt_blocks(blocks);
    Ok(())
}

fn decrypt_blocks<C>(key: &[u8], iv: &[u8], body: &mut [u8]) -> Result<()>
where
    C: BlockCipherDecrypt<BlockSize = U16> + BlockCipherEncrypt<BlockSize = U16> + KeyInit,
{
    let mut dec = ::cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::DecryptionFailed)?;
    let (blocks, rest) = Array::slice_as_chunks_mut(body);
    if !rest.is_empty() {
        return Err(CryptoError::DecryptionFailed);
    }
    dec.decrypt_blocks(blocks);
    Ok(())
}

/// Raw CBC decryption without unpadding, so tests can inspect the padding bytes.
#[cfg(test)]
pub(super) fn tests_support_decrypt_raw(key: &[u8], iv: &[u8], body: &mut [u8]) {
    match key.len() {
        16 => decrypt_blocks::<Aes128>(key, iv, body),
        24 => decrypt_blocks::<Aes192>(key, iv, body),
        _ => decrypt_blocks::<Aes256>(key, iv, body),
    }
    .unwrap();
}
