//! Compile-time guarantees of the owner: JS values (`Value`, `Function`, `Persistent`, `Ctx`) cannot
//! leave the owner thread. Each file in `tests/compile_fail/` must fail to compile with the error
//! checked in next to it (`.stderr`). Regenerate after a toolchain change with
//! `TRYBUILD=overwrite cargo test --test owner_compile_fail`, and review the diff: each error must
//! still be a `Send` or lifetime error about the JS value.

#[test]
fn js_values_cannot_leave_the_owner() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
