//! On-disk cache of compiled components.
//!
//! Entries are keyed by the sha256 of the module's bytes and a hash of the
//! engine's compatibility settings (wasmtime version, target, tunables), so a
//! restart, or a reload of a module seen before, skips compilation. **Only
//! artifacts this cache wrote are ever deserialised**: each file starts with
//! our magic and the sha256 of the payload, checked before wasmtime sees a
//! byte. A bad entry (truncated, corrupted, from another engine) is deleted
//! and recompiled, never trusted.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"WGCACHE1";

/// The cache directory and the engine key.
#[derive(Clone)]
pub struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
}

/// Feeds `Hash` output into sha256, so the engine key is stable across
/// processes (std's hashers are not meant for persistence).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        unreachable!("only `write` is used; the digest is read with `finalize`")
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl ArtifactCache {
    /// A cache in `dir` for artifacts of `engine`.
    pub fn new(dir: &Path, engine: &Engine) -> Self {
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_key = super::hex(&h.0.finalize())[..16].to_string();
        ArtifactCache {
            dir: dir.to_path_buf(),
            engine_key,
        }
    }

    fn entry(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// The cached component for these module bytes, if a sound entry exists.
    pub fn get(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let path = self.entry(sha256);
        let bytes = std::fs::read(&path).ok()?;
        let payload = match checked_payload(&bytes) {
            Some(p) => p,
            None => {
                tracing::warn!(entry = %path.display(), "corrupt compilation cache entry; deleting it and recompiling");
                let _ = std::fs::remove_file(&path);
                return None;
            }
        };
        // SAFETY: `Component::deserialize` must only see bytes produced by
        // `Component::serialize` of a compatible engine. The payload passed
        // the checksum written next to it by `put` below, in a directory only
        // wasmgate writes to, and the file name carries the engine's
        // compatibility hash; wasmtime checks its own header as well.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, payload) };
        match component {
            Ok(c) => Some(c),
            Err(err) => {
                tracing::warn!(entry = %path.display(), error = %format!("{err:#}"), "unusable compilation cache entry; deleting it and recompiling");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores a compiled component. Failures are logged, never fatal: the
    /// cache only saves time.
    pub fn put(&self, sha256: &str, component: &Component) {
        let result = (|| -> anyhow::Result<()> {
            let payload = component.serialize()?;
            std::fs::create_dir_all(&self.dir)?;
            let mut bytes = Vec::with_capacity(payload.len() + 40);
            bytes.extend_from_slice(MAGIC);
            bytes.extend_from_slice(&Sha256::digest(&payload));
            bytes.extend_from_slice(&payload);
            let path = self.entry(sha256);
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)?;
            Ok(())
        })();
        if let Err(err) = result {
            tracing::warn!(dir = %self.dir.display(), error = %format!("{err:#}"), "cannot write the compilation cache");
        }
    }
}

/// The payload of a cache file whose magic and checksum are right.
fn checked_payload(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < 32 {
        return None;
    }
    let (sum, payload) = rest.split_at(32);
    (Sha256::digest(payload).as_slice() == sum).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_intact_entries_pass() {
        let payload = b"compiled bytes";
        let mut good = MAGIC.to_vec();
        good.extend_from_slice(&Sha256::digest(payload));
        good.extend_from_slice(payload);
        assert_eq!(checked_payload(&good), Some(&payload[..]));
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(checked_payload(&flipped), None);
        assert_eq!(checked_payload(&good[..20]), None);
        assert_eq!(checked_payload(b"\0asm\x0d\0\x01\0 not ours"), None);
    }
}
