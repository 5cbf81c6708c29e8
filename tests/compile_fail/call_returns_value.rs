//! A JS `Value` cannot leave the owner as the result of a call: the result type may not borrow
//! the owner's context lifetime (and a `Value` is not `Send`).

use geppetto::owner::OwnerHandle;
use rquickjs::Value;

async fn leak(owner: OwnerHandle) {
    let _value = owner.call("leak", |ctx| ctx.eval::<Value, _>("({})")).await;
}

fn main() {
    let _ = leak;
}
