//! A `Persistent` cannot be sent into the owner inside a call closure: the closure must be `Send`.

use geppetto::owner::OwnerHandle;
use rquickjs::{Function, Persistent};

fn smuggle(owner: &OwnerHandle, saved: Persistent<Function<'static>>) {
    let _call = owner.call("smuggle", move |ctx| {
        let function = saved.restore(ctx)?;
        function.call::<_, i32>(())
    });
}

fn main() {
    let _ = smuggle;
}
