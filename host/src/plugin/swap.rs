//! Can the kernel swap out this process's memory? That decides how the
//! pooling allocator may reset a guest's linear memory between instances.
//!
//! The fast reset (`PAGEMAP_SCAN`, Linux 6.7+) asks the kernel which pages of
//! a memory slot the last instance wrote, and rewrites only those. In
//! wasmtime 48 the scan matches only pages that are *present*: a written page
//! that was swapped out while its slot sat idle is neither rewritten nor
//! discarded, so the next instance in that slot would read the last request's
//! data (wasmtime PR #14357 describes it). wasmgate therefore uses the scan
//! only where no page of this process can be swapped out: no active swap
//! device (`/proc/swaps`), or a cgroup v2 `memory.swap.max` of `0` on this
//! process's cgroup or one of its ancestors.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How often [`Watch::tick`] re-reads whether swap is on.
const RECHECK: Duration = Duration::from_secs(5);

/// Where the answer comes from; [`Sources::system`] on a real host, other
/// directories in tests.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `/proc/swaps`.
    pub swaps: PathBuf,
    /// `/proc/self/cgroup`.
    pub self_cgroup: PathBuf,
    /// The cgroup v2 mount, `/sys/fs/cgroup`.
    pub cgroup_root: PathBuf,
}

impl Sources {
    /// This host's files.
    pub fn system() -> Self {
        Sources {
            swaps: "/proc/swaps".into(),
            self_cgroup: "/proc/self/cgroup".into(),
            cgroup_root: "/sys/fs/cgroup".into(),
        }
    }

    /// `Some(why)` when a page of this process could be swapped out, e.g.
    /// `swap is on (/dev/zram0)`; `None` when none can be.
    ///
    /// Unreadable `/proc/swaps` counts as swap being on: the safe answer.
    pub fn swap_risk(&self) -> Option<String> {
        let swaps = match std::fs::read_to_string(&self.swaps) {
            Ok(text) => text,
            Err(err) => {
                return Some(format!(
                    "cannot tell whether swap is on ({}: {err})",
                    self.swaps.display()
                ));
            }
        };
        let devices = active_swaps(&swaps);
        if devices.is_empty() {
            return None;
        }
        if let Some(cgroup) = self.swap_disabled_by_cgroup() {
            tracing::debug!(cgroup = %cgroup.display(), "swap is on, but memory.swap.max is 0 for this process");
            return None;
        }
        Some(format!("swap is on ({})", devices.join(", ")))
    }

    /// The cgroup (this process's or an ancestor) whose `memory.swap.max` is
    /// `0`, if there is one.
    fn swap_disabled_by_cgroup(&self) -> Option<PathBuf> {
        let membership = std::fs::read_to_string(&self.self_cgroup).ok()?;
        let path = unified_cgroup(&membership)?;
        let mut dir = self.cgroup_root.join(path.trim_start_matches('/'));
        loop {
            let limit = std::fs::read_to_string(dir.join("memory.swap.max"));
            if limit.is_ok_and(|l| l.trim() == "0") {
                return Some(dir);
            }
            if dir == self.cgroup_root || !dir.pop() || !dir.starts_with(&self.cgroup_root) {
                return None;
            }
        }
    }
}

/// Notices swap appearing while slots are reset with `PAGEMAP_SCAN`: it
/// then records why in `lost`, once, and every call fails closed from there.
pub(crate) struct Watch {
    sources: Sources,
    lost: Arc<OnceLock<String>>,
    next: Instant,
}

impl Watch {
    pub(crate) fn new(sources: Sources, lost: Arc<OnceLock<String>>) -> Self {
        Watch {
            sources,
            lost,
            next: Instant::now() + RECHECK,
        }
    }

    /// Called on every epoch tick; reads the files every [`RECHECK`].
    pub(crate) fn tick(&mut self) {
        if self.lost.get().is_some() || Instant::now() < self.next {
            return;
        }
        self.next = Instant::now() + RECHECK;
        let Some(why) = self.sources.swap_risk() else {
            return;
        };
        let reason = format!(
            "{why} since wasmgate started, and instance memory is reset with PAGEMAP_SCAN, which \
             could hand a swapped-out page of one request to the next: every WebAssembly call now \
             fails closed; restart wasmgate (it then uses the swap-safe reset), or turn swap off \
             again and restart"
        );
        tracing::error!("{reason}");
        let _ = self.lost.set(reason);
    }
}

/// The swap devices and files `/proc/swaps` lists (its first column, after
/// the header line).
fn active_swaps(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// This process's cgroup v2 path: the `0::<path>` line of
/// `/proc/self/cgroup`. `None` on a cgroup v1 host.
fn unified_cgroup(text: &str) -> Option<&str> {
    text.lines().find_map(|line| line.strip_prefix("0::"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sources(dir: &Path, swaps: &str, cgroup: &str) -> Sources {
        std::fs::write(dir.join("swaps"), swaps).unwrap();
        std::fs::write(dir.join("cgroup"), cgroup).unwrap();
        Sources {
            swaps: dir.join("swaps"),
            self_cgroup: dir.join("cgroup"),
            cgroup_root: dir.join("fs"),
        }
    }

    const HEADER: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

    #[test]
    fn no_swap_device_means_no_risk() {
        let dir = tempfile::tempdir().unwrap();
        let s = sources(dir.path(), HEADER, "0::/\n");
        assert_eq!(s.swap_risk(), None);
    }

    #[test]
    fn an_active_swap_device_is_a_risk_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let swaps =
            format!("{HEADER}/dev/zram0  partition\t8388604\t0\t100\n/swapfile file 1024 0 -2\n");
        let s = sources(dir.path(), &swaps, "0::/system.slice/wasmgate.service\n");
        let why = s.swap_risk().unwrap();
        assert_eq!(why, "swap is on (/dev/zram0, /swapfile)");
    }

    #[test]
    fn a_cgroup_without_swap_removes_the_risk_from_itself_or_an_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        let swaps = format!("{HEADER}/swapfile file 1024 0 -2\n");
        let s = sources(dir.path(), &swaps, "0::/kubepods/pod1/app\n");
        let app = s.cgroup_root.join("kubepods/pod1/app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(app.join("memory.swap.max"), "max\n").unwrap();
        assert!(s.swap_risk().is_some(), "max is not a limit");

        std::fs::write(s.cgroup_root.join("kubepods/memory.swap.max"), "0\n").unwrap();
        assert_eq!(s.swap_risk(), None, "an ancestor's 0 applies");

        std::fs::write(app.join("memory.swap.max"), "0\n").unwrap();
        assert_eq!(s.swap_risk(), None);
    }

    #[test]
    fn cgroup_v1_or_unreadable_files_are_treated_safely() {
        let dir = tempfile::tempdir().unwrap();
        let swaps = format!("{HEADER}/swapfile file 1024 0 -2\n");
        // cgroup v1 only: no `0::` line, so no swap limit can be read.
        let s = sources(dir.path(), &swaps, "12:memory:/app\n");
        assert!(s.swap_risk().is_some());

        let missing = Sources {
            swaps: dir.path().join("absent"),
            ..s
        };
        let why = missing.swap_risk().unwrap();
        assert!(why.starts_with("cannot tell whether swap is on"), "{why}");
    }
}
