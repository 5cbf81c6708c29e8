//! A `Value` from one owner call cannot be captured by a closure posted to an owner.

use geppetto::owner::OwnerHandle;

fn capture(owner: OwnerHandle) {
    let inner = owner.clone();
    let _call = owner.call("outer", move |ctx| {
        let value: rquickjs::Value = ctx.eval("({})")?;
        let _ = inner.try_post("inner", move |_ctx| {
            drop(value);
            Ok(())
        });
        Ok(())
    });
}

fn main() {
    let _ = capture;
}
