//! On-disk cache of compiled components.
//!
//! Entries are keyed by the sha256 of the module's bytes and a hash of the
//! engine's compatibility settings (wasmtime version, target, tunables), so a
//! restart, or a reload of a module seen before, skips compilation. An entry
//! is two files: `<key>.cwasm`, exactly what `Component::serialize` wrote,
//! and `<key>.cwasm.sum`, our magic and the BLAKE3 hash of the `.cwasm`.
//!
//! **Only artifacts this cache wrote are ever deserialised**: the `.cwasm`
//! is hashed and compared with its `.sum` before wasmtime sees it, and is
//! then mapped, not copied (`Component::deserialize_file`). A Python
//! component's artifact is ~35 MB and this is on the reload path: streaming
//! BLAKE3 plus a mapping costs ~10 ms where reading, sha256 and copying cost
//! ~60. A bad entry (truncated, corrupted, no `.sum`, from another engine) is
//! deleted and recompiled, never trusted. Entries are only ever replaced by
//! rename, never rewritten in place, so a mapped artifact never changes
//! under a live component.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"WGCACHE2";

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
        let sum_path = sum_path(&path);
        let sum = std::fs::read(&sum_path).ok()?;
        let intact = std::fs::File::open(&path)
            .and_then(checksum)
            .is_ok_and(|hash| sum_matches(&sum, &hash));
        if !intact {
            tracing::warn!(entry = %path.display(), "corrupt or incomplete compilation cache entry; deleting it and recompiling");
            remove(&path);
            return None;
        }
        // SAFETY: `Component::deserialize_file` must only see bytes produced
        // by `Component::serialize` of a compatible engine, and the file must
        // not change while the component lives. The file just matched the
        // hash that `put` wrote next to it, in a directory only wasmgate
        // writes to, under a name that carries the engine's compatibility
        // hash; wasmtime checks its own header as well. `put` replaces
        // entries by rename only, so a mapped file is never rewritten.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize_file(engine, &path) };
        match component {
            Ok(c) => Some(c),
            Err(err) => {
                tracing::warn!(entry = %path.display(), error = %format!("{err:#}"), "unusable compilation cache entry; deleting it and recompiling");
                remove(&path);
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
            let path = self.entry(sha256);
            let mut sum = MAGIC.to_vec();
            sum.extend_from_slice(blake3::hash(&payload).as_bytes());
            // The artifact first, then its sum: a crash in between leaves a
            // stale or missing sum, which `get` treats as corrupt.
            write_atomically(&path, &payload)?;
            write_atomically(&sum_path(&path), &sum)?;
            Ok(())
        })();
        if let Err(err) = result {
            tracing::warn!(dir = %self.dir.display(), error = %format!("{err:#}"), "cannot write the compilation cache");
        }
    }
}

fn sum_path(entry: &Path) -> PathBuf {
    let mut name = entry.as_os_str().to_owned();
    name.push(".sum");
    PathBuf::from(name)
}

/// Writes a new file and renames it over `path`, so that readers (and live
/// mappings) never see a partial or rewritten file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn remove(entry: &Path) {
    let _ = std::fs::remove_file(entry);
    let _ = std::fs::remove_file(sum_path(entry));
}

/// The BLAKE3 hash of a payload, read as a stream (no copy in memory).
fn checksum(payload: impl std::io::Read) -> std::io::Result<blake3::Hash> {
    Ok(blake3::Hasher::new().update_reader(payload)?.finalize())
}

/// Whether a `.sum` file's contents are our magic and `hash`.
fn sum_matches(sum: &[u8], hash: &blake3::Hash) -> bool {
    sum.strip_prefix(MAGIC.as_slice()) == Some(hash.as_bytes().as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_intact_entries_pass() {
        let payload = b"compiled bytes".as_slice();
        let hash = checksum(payload).unwrap();
        let mut sum = MAGIC.to_vec();
        sum.extend_from_slice(hash.as_bytes());
        assert!(sum_matches(&sum, &hash));
        let flipped = checksum(b"compiled bytez".as_slice()).unwrap();
        assert!(!sum_matches(&sum, &flipped));
        assert!(!sum_matches(&sum[..20], &hash));
        assert!(!sum_matches(&sum[8..], &hash));
        assert!(!sum_matches(b"WGCACHE1 not ours", &hash));
    }
}
