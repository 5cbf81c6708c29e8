//! Parking: calls that may wait in nested pumping are held back while a nested wait of another
//! work group is in progress, so concurrent runs do not stack nested waits on each other.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use super::mailbox::Envelope;

/// The groups of the nested waits in progress and the calls parked meanwhile.
#[derive(Default)]
pub(crate) struct Parking {
    /// Groups of the nested waits in progress (innermost last).
    waiting_groups: RefCell<Vec<Option<u64>>>,
    /// Calls that may wait, parked while another group's nested wait is in progress.
    parked: RefCell<VecDeque<Envelope>>,
    /// How many parked calls each group has (so a nested wait finds its own without a scan).
    parked_per_group: RefCell<HashMap<Option<u64>, usize>>,
}

impl Parking {
    /// Whether `envelope` may run now: anything may, except a call that may wait while a nested
    /// wait of another group is in progress.
    pub(crate) fn accepts(&self, envelope: &Envelope) -> bool {
        if !envelope.may_wait() {
            return true;
        }
        match self.waiting_groups.borrow().last() {
            None => true,
            Some(group) => group.is_some() && *group == envelope.group(),
        }
    }

    /// Holds `envelope` back until [`take_runnable`](Self::take_runnable) lets it run.
    pub(crate) fn park(&self, envelope: Envelope) {
        *self
            .parked_per_group
            .borrow_mut()
            .entry(envelope.group())
            .or_insert(0) += 1;
        self.parked.borrow_mut().push_back(envelope);
    }

    /// Takes the first parked call that may run now, if any: any parked call when no nested wait
    /// is in progress, else the first one of the innermost wait's group.
    pub(crate) fn take_runnable(&self) -> Option<Envelope> {
        let next = {
            let waiting = self.waiting_groups.borrow().last().copied();
            let mut parked = self.parked.borrow_mut();
            match waiting {
                None => parked.pop_front(),
                Some(None) => None,
                Some(group) => {
                    let has_own = self
                        .parked_per_group
                        .borrow()
                        .get(&group)
                        .is_some_and(|count| *count > 0);
                    let position = has_own
                        .then(|| parked.iter().position(|envelope| envelope.group() == group))
                        .flatten();
                    position.and_then(|index| parked.remove(index))
                }
            }
        }?;
        let mut counts = self.parked_per_group.borrow_mut();
        if let Some(count) = counts.get_mut(&next.group()) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&next.group());
            }
        }
        Some(next)
    }

    /// Records that a nested wait for work of `group` began; the returned guard records its end
    /// when dropped (on every exit path).
    pub(crate) fn begin_wait(&self, group: Option<u64>) -> WaitingGroup<'_> {
        self.waiting_groups.borrow_mut().push(group);
        WaitingGroup { parking: self }
    }

    /// Whether no call is parked.
    pub(crate) fn is_empty(&self) -> bool {
        self.parked.borrow().is_empty()
    }

    /// Drops every parked call (their callers get `Closed`).
    pub(crate) fn clear(&self) {
        let parked = std::mem::take(&mut *self.parked.borrow_mut());
        self.parked_per_group.borrow_mut().clear();
        drop(parked);
    }
}

/// A nested wait in progress, registered with [`Parking::begin_wait`].
pub(crate) struct WaitingGroup<'a> {
    parking: &'a Parking,
}

impl Drop for WaitingGroup<'_> {
    fn drop(&mut self) {
        self.parking.waiting_groups.borrow_mut().pop();
    }
}
