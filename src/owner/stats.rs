//! Owner statistics: lock-free counters and fixed-size latency histograms, read by `stats()`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use super::error::Outcome;
use super::lifecycle::OwnerState;

/// Sub-buckets per power of two: 8 gives a relative error under 12.5%.
const SUB_BUCKET_BITS: u32 = 3;
const SUB_BUCKETS: usize = 1 << SUB_BUCKET_BITS;
/// Powers of two covered (nanoseconds up to 2^40 ns, about 18 minutes; larger values saturate).
const POWERS: usize = 41;
const BUCKETS: usize = POWERS * SUB_BUCKETS;

/// A fixed-size log-linear histogram of nanosecond durations. Recording is one atomic add; memory
/// never grows.
pub(crate) struct Histogram {
    buckets: Box<[AtomicU64]>,
    max_ns: AtomicU64,
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max_ns: AtomicU64::new(0),
        }
    }

    fn bucket_of(ns: u64) -> usize {
        if ns < SUB_BUCKETS as u64 {
            return ns as usize;
        }
        let power = 63 - ns.leading_zeros();
        let shift = power - SUB_BUCKET_BITS;
        let sub = ((ns >> shift) as usize) & (SUB_BUCKETS - 1);
        let index = (shift as usize + 1) * SUB_BUCKETS + sub;
        index.min(BUCKETS - 1)
    }

    /// The upper bound (inclusive) of values in bucket `index`.
    fn bucket_upper(index: usize) -> u64 {
        if index < SUB_BUCKETS {
            return index as u64;
        }
        let shift = (index / SUB_BUCKETS - 1) as u32;
        let sub = (index % SUB_BUCKETS) as u64;
        (((SUB_BUCKETS as u64) + sub + 1) << shift) - 1
    }

    /// Records one value. Single writer: only the owner thread records, so a relaxed load and
    /// store replace the atomic read-modify-writes (readers still see whole values).
    pub(crate) fn record(&self, value: Duration) {
        let ns = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        bump(&self.buckets[Self::bucket_of(ns)]);
        if ns > self.max_ns.load(Ordering::Relaxed) {
            self.max_ns.store(ns, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> Percentiles {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        let max = Duration::from_nanos(self.max_ns.load(Ordering::Relaxed));
        let at = |quantile: f64| -> Duration {
            if total == 0 {
                return Duration::ZERO;
            }
            let rank = ((total as f64) * quantile).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (index, count) in counts.iter().enumerate() {
                seen += count;
                if seen >= rank {
                    return Duration::from_nanos(Self::bucket_upper(index)).min(max);
                }
            }
            max
        };
        Percentiles {
            count: total,
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max,
        }
    }
}

/// Percentiles of one histogram. Values are bucket upper bounds (at most 12.5% above the truth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// Number of recorded values.
    pub count: u64,
    /// Median.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest value seen.
    pub max: Duration,
}

/// Adds one to a counter only the owner thread writes (no atomic read-modify-write needed).
fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// The counters an owner updates as it works; shared with handles so `stats()` never waits for
/// the owner thread. Only the owner thread writes them.
pub(crate) struct StatsCells {
    pub(crate) queue_depth_max: AtomicUsize,
    outcomes: [AtomicU64; 5],
    per_op: Mutex<BTreeMap<&'static str, u64>>,
    pub(crate) queue_wait: Histogram,
    pub(crate) exec: Histogram,
}

impl StatsCells {
    pub(crate) fn new() -> StatsCells {
        StatsCells {
            queue_depth_max: AtomicUsize::new(0),
            outcomes: Default::default(),
            per_op: Mutex::new(BTreeMap::new()),
            queue_wait: Histogram::new(),
            exec: Histogram::new(),
        }
    }

    pub(crate) fn record(
        &self,
        op: &'static str,
        outcome: Outcome,
        wait: Duration,
        exec: Duration,
    ) {
        bump(&self.outcomes[outcome.index()]);
        *self.per_op.lock().entry(op).or_insert(0) += 1;
        self.queue_wait.record(wait);
        self.exec.record(exec);
    }

    pub(crate) fn observe_depth(&self, depth: usize) {
        if depth > self.queue_depth_max.load(Ordering::Relaxed) {
            self.queue_depth_max.store(depth, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self, state: OwnerState, queue_depth: usize) -> OwnerStats {
        OwnerStats {
            state,
            queue_depth,
            queue_depth_max: self.queue_depth_max.load(Ordering::Relaxed),
            outcomes: Outcome::ALL
                .into_iter()
                .map(|o| (o.as_str(), self.outcomes[o.index()].load(Ordering::Relaxed)))
                .collect(),
            per_op: self.per_op.lock().clone(),
            queue_wait: self.queue_wait.snapshot(),
            exec: self.exec.snapshot(),
        }
    }
}

/// A snapshot of an owner's statistics (`OwnerHandle::stats`). Cheap: a few hundred atomic loads.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerStats {
    /// Lifecycle state.
    pub state: OwnerState,
    /// Items waiting in the mailbox now.
    pub queue_depth: usize,
    /// Most items seen waiting at once.
    pub queue_depth_max: usize,
    /// Executed items per outcome label (`ok`, `error`, `canceled`, `interrupted`, `panicked`).
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Executed items per op name.
    pub per_op: BTreeMap<&'static str, u64>,
    /// Time items waited in the mailbox.
    pub queue_wait: Percentiles,
    /// Time items took to execute.
    pub exec: Percentiles,
}

impl OwnerStats {
    /// Items executed with the given outcome.
    pub fn outcome(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(outcome.as_str()).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bounds_contain_their_values() {
        for ns in [
            0u64,
            1,
            7,
            8,
            9,
            15,
            16,
            100,
            1_000,
            123_456,
            10_000_000_000,
        ] {
            let index = Histogram::bucket_of(ns);
            assert!(
                Histogram::bucket_upper(index) >= ns,
                "{ns} above bucket {index}"
            );
            if index > 0 {
                assert!(
                    Histogram::bucket_upper(index - 1) < ns,
                    "{ns} fits a lower bucket"
                );
            }
        }
    }

    #[test]
    fn percentiles_are_within_the_bucket_error() {
        let histogram = Histogram::new();
        for us in 1..=100u64 {
            histogram.record(Duration::from_micros(us));
        }
        let p = histogram.snapshot();
        assert_eq!(p.count, 100);
        assert_eq!(p.max, Duration::from_micros(100));
        let p50 = p.p50.as_nanos() as f64;
        assert!((50_000.0..=50_000.0 * 1.125).contains(&p50), "p50 {p50}");
        assert!(p.p99 >= Duration::from_micros(99) && p.p99 <= p.max);
    }
}
