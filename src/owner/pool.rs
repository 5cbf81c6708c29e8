//! `OwnerPool`: n owners, handing out the least-loaded one.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::error::SpawnError;
use super::handle::{Owner, OwnerHandle};
use super::options::OwnerOptions;

/// A fixed set of owners (n threads, n runtimes). `get` returns the one with the shortest mailbox,
/// ties broken round-robin. A session stays on the owner whose runtime created it.
#[derive(Debug)]
pub struct OwnerPool {
    owners: Vec<OwnerHandle>,
    next: AtomicUsize,
}

impl OwnerPool {
    /// Spawns `n` owners (at least one); `options(i)` builds the options of owner `i`.
    pub fn new(
        n: usize,
        mut options: impl FnMut(usize) -> OwnerOptions,
    ) -> Result<OwnerPool, SpawnError> {
        let owners = (0..n.max(1))
            .map(|index| Owner::spawn(options(index)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OwnerPool {
            owners,
            next: AtomicUsize::new(0),
        })
    }

    /// A pool of owners spawned elsewhere (at least one, or `None`).
    pub fn from_owners(owners: Vec<OwnerHandle>) -> Option<OwnerPool> {
        (!owners.is_empty()).then(|| OwnerPool {
            owners,
            next: AtomicUsize::new(0),
        })
    }

    /// The least-loaded owner.
    pub fn get(&self) -> &OwnerHandle {
        let start = self.next.fetch_add(1, Ordering::Relaxed) % self.owners.len();
        let mut best = start;
        let mut best_depth = usize::MAX;
        for offset in 0..self.owners.len() {
            let index = (start + offset) % self.owners.len();
            let depth = self.owners[index].queue_depth();
            if depth < best_depth {
                best = index;
                best_depth = depth;
                if depth == 0 {
                    break;
                }
            }
        }
        &self.owners[best]
    }

    /// All owners.
    pub fn owners(&self) -> &[OwnerHandle] {
        &self.owners
    }

    /// Number of owners.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// Always false: a pool has at least one owner.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }
}
