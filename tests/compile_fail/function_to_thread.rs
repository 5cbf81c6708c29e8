//! A JS function saved as a `Persistent` cannot be handed to another thread: it is not `Send`.
//! (Name it with a `CallbackId` from the owner's callback table instead.)

use geppetto::owner::OwnerHandle;
use rquickjs::{Function, Persistent};

fn escape(owner: &OwnerHandle) {
    let _call = owner.call("escape", |ctx| {
        let function: Function = ctx.eval("() => 1")?;
        let saved = Persistent::save(ctx, function);
        std::thread::spawn(move || drop(saved));
        Ok(())
    });
}

fn main() {
    let _ = escape;
}
