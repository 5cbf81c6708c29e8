//! A `Persistent` (a JS value detached from the context lifetime) still cannot leave the owner:
//! it is not `Send`.

use geppetto::owner::OwnerHandle;
use rquickjs::{Function, Persistent};

async fn leak(owner: OwnerHandle) {
    let _saved = owner
        .call("leak", |ctx| {
            let function: Function = ctx.eval("() => 1")?;
            Ok(Persistent::save(ctx, function))
        })
        .await;
}

fn main() {
    let _ = leak;
}
