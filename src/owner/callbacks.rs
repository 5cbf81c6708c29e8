//! The callback table: JS values kept alive on the owner thread, named outside by `Send` ids.

use std::collections::HashMap;

use rquickjs::{Ctx, Persistent, Value};

/// Names a JS value held in an owner's callback table. `Send + Copy`: this is what crosses threads
/// in place of a JS function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallbackId(pub u64);

/// Owner-local storage of persistent JS values. Cleared before the runtime is dropped (a
/// `Persistent` outliving its runtime aborts the process).
#[derive(Default)]
pub(crate) struct CallbackTable {
    next_id: u64,
    entries: HashMap<u64, Persistent<Value<'static>>>,
}

impl CallbackTable {
    pub(crate) fn insert<'js>(&mut self, ctx: &Ctx<'js>, value: Value<'js>) -> CallbackId {
        self.next_id += 1;
        self.entries
            .insert(self.next_id, Persistent::save(ctx, value));
        CallbackId(self.next_id)
    }

    pub(crate) fn get<'js>(&self, ctx: &Ctx<'js>, id: CallbackId) -> Option<Value<'js>> {
        let persistent = self.entries.get(&id.0)?.clone();
        persistent.restore(ctx).ok()
    }

    pub(crate) fn remove(&mut self, id: CallbackId) -> bool {
        self.take(id).is_some()
    }

    /// Removes the value stored under `id` and hands it back (to be dropped once the table is no
    /// longer borrowed).
    pub(crate) fn take(&mut self, id: CallbackId) -> Option<Persistent<Value<'static>>> {
        self.entries.remove(&id.0)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
