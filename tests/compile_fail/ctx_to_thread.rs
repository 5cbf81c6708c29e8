//! A `Ctx` cannot be moved to another thread from inside an owner call: it borrows the owner's
//! context for the call only.

use geppetto::owner::OwnerHandle;

fn escape(owner: &OwnerHandle) {
    let _call = owner.call("escape", |ctx| {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = ctx.eval::<i32, _>("1");
        });
        Ok(())
    });
}

fn main() {
    let _ = escape;
}
