//! CBC with XML-Enc padding (see the parent module for the layout), for AES (16-byte blocks)
//! and Triple DES (8-byte blocks).

use ::cbc::cipher::array::Array;
use ::cbc::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, BlockSizeUser,
    KeyInit, KeyIvInit,
};
use aes::{Aes128, Aes192, Aes256};
use des::TdesEde3;
use zeroize::Zeroizing;

use super::CbcCipher;
use crate::{CryptoError, Result, SecureRandom};

/// AES block length, also the AES-CBC IV length.
pub(crate) const BLOCK_LEN: usize = 16;
/// Triple DES block length, also the 3DES-CBC IV length.
pub(crate) const TDES_BLOCK_LEN: usize = 8;

impl CbcCipher {
    /// The block (and IV) length.
    pub(crate) const fn block_len(self) -> usize {
        match self {
            Self::TripleDes => TDES_BLOCK_LEN,
            Self::Aes(_) => BLOCK_LEN,
        }
    }
}

/// `IV || CBC(plaintext || filler || n)` with `1 ≤ n ≤ block length` (XML-Enc §5.2).
pub(crate) fn encrypt<R: SecureRandom + ?Sized>(
    cipher: CbcCipher,
    key: &[u8],
    rng: &mut R,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let block = cipher.block_len();
    let pad = block - plaintext.len() % block; // 1..=block
    let body_len = plaintext
        .len()
        .checked_add(pad)
        .ok_or(CryptoError::InputTooLong)?;
    let mut out = vec![0u8; block.saturating_add(body_len)];
    let (iv, body) = out.split_at_mut(block);
    let (data, padding) = body.split_at_mut(plaintext.len());
    // Randomness first: if it fails, no plaintext has been copied into `out`.
    rng.fill_nonce(iv)?;
    if let Some((last, filler)) = padding.split_last_mut() {
        rng.fill_nonce(filler)?;
        // `pad` is 1..=16.
        *last = u8::try_from(pad).map_err(|_| CryptoError::InputTooLong)?;
    }
    data.copy_from_slice(plaintext);
    match cipher {
        CbcCipher::Aes(super::AesKeySize::Aes128) => encrypt_blocks::<Aes128>(key, iv, body),
        CbcCipher::Aes(super::AesKeySize::Aes192) => encrypt_blocks::<Aes192>(key, iv, body),
        CbcCipher::Aes(super::AesKeySize::Aes256) => encrypt_blocks::<Aes256>(key, iv, body),
        CbcCipher::TripleDes => encrypt_blocks::<TdesEde3>(key, iv, body),
    }?;
    Ok(out)
}

/// Decrypts `IV || ciphertext` and strips XML-Enc padding. Every failure is
/// [`CryptoError::DecryptionFailed`].
pub(crate) fn decrypt(cipher: CbcCipher, key: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let block = cipher.block_len();
    let (iv, ct) = data
        .split_at_checked(block)
        .ok_or(CryptoError::DecryptionFailed)?;
    if ct.is_empty() || !ct.len().is_multiple_of(block) {
        return Err(CryptoError::DecryptionFailed);
    }
    let mut out = Zeroizing::new(ct.to_vec());
    decrypt_raw(cipher, key, iv, &mut out)?;
    // Only the last byte is checked: 1..=block (hence also <= the decrypted length).
    let pad = usize::from(out.last().copied().unwrap_or(0));
    if pad == 0 || pad > block || pad > out.len() {
        return Err(CryptoError::DecryptionFailed);
    }
    let keep = out.len() - pad;
    out.truncate(keep);
    Ok(out)
}

/// CBC decryption in place of whole blocks, without unpadding (also the inner layer of the
/// Triple DES key wrap).
pub(crate) fn decrypt_raw(cipher: CbcCipher, key: &[u8], iv: &[u8], body: &mut [u8]) -> Result<()> {
    match cipher {
        CbcCipher::Aes(super::AesKeySize::Aes128) => decrypt_blocks::<Aes128>(key, iv, body),
        CbcCipher::Aes(super::AesKeySize::Aes192) => decrypt_blocks::<Aes192>(key, iv, body),
        CbcCipher::Aes(super::AesKeySize::Aes256) => decrypt_blocks::<Aes256>(key, iv, body),
        CbcCipher::TripleDes => decrypt_blocks::<TdesEde3>(key, iv, body),
    }
}

/// CBC encryption in place of whole blocks, without padding (the Triple DES key wrap).
pub(crate) fn encrypt_raw(cipher: CbcCipher, key: &[u8], iv: &[u8], body: &mut [u8]) -> Result<()> {
    match cipher {
        CbcCipher::Aes(super::AesKeySize::Aes128) => encrypt_blocks::<Aes128>(key, iv, body),
        CbcCipher::Aes(super::AesKeySize::Aes192) => encrypt_blocks::<Aes192>(key, iv, body),
        CbcCipher::Aes(super::AesKeySize::Aes256) => encrypt_blocks::<Aes256>(key, iv, body),
        CbcCipher::TripleDes => encrypt_blocks::<TdesEde3>(key, iv, body),
    }
}

fn encrypt_blocks<C>(key: &[u8], iv: &[u8], body: &mut [u8]) -> Result<()>
where
    C: BlockCipherEncrypt + KeyInit,
{
    let mut enc = ::cbc::Encryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::DecryptionFailed)?;
    let (blocks, rest) = Array::<u8, <C as BlockSizeUser>::BlockSize>::slice_as_chunks_mut(body);
    if !rest.is_empty() {
        return Err(CryptoError::DecryptionFailed);
    }
    enc.encrypt_blocks(blocks);
    Ok(())
}

fn decrypt_blocks<C>(key: &[u8], iv: &[u8], body: &mut [u8]) -> Result<()>
where
    C: BlockCipherDecrypt + BlockCipherEncrypt + KeyInit,
{
    let mut dec = ::cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::DecryptionFailed)?;
    let (blocks, rest) = Array::<u8, <C as BlockSizeUser>::BlockSize>::slice_as_chunks_mut(body);
    if !rest.is_empty() {
        return Err(CryptoError::DecryptionFailed);
    }
    dec.decrypt_blocks(blocks);
    Ok(())
}

/// Raw CBC decryption without unpadding, so tests can inspect the padding bytes.
#[cfg(test)]
pub(super) fn tests_support_decrypt_raw(key: &[u8], iv: &[u8], body: &mut [u8]) {
    let cipher = match key.len() {
        16 => CbcCipher::Aes(super::AesKeySize::Aes128),
        24 if iv.len() == TDES_BLOCK_LEN => CbcCipher::TripleDes,
        24 => CbcCipher::Aes(super::AesKeySize::Aes192),
        _ => CbcCipher::Aes(super::AesKeySize::Aes256),
    };
    decrypt_raw(cipher, key, iv, body).unwrap();
}
