//! The built-in `events` module (also `node:events`): Node's `EventEmitter` subset, in JS
//! (`js/events.js`). Both names give the same constructor.

use rquickjs::{Ctx, Function, Object};

use super::NativeModule;

/// Hidden global caching the constructor, so `events` and `node:events` share it.
const CONSTRUCTOR_GLOBAL: &str = "__events_module";

/// The `events` module under one of its names.
#[derive(Debug, Clone, Copy)]
pub struct EventsModule {
    name: &'static str,
}

impl EventsModule {
    /// The module under both of its names: `events` and `node:events`.
    pub const ALL: [EventsModule; 2] = [
        EventsModule { name: "events" },
        EventsModule {
            name: "node:events",
        },
    ];
}

impl NativeModule for EventsModule {
    fn name(&self) -> &'static str {
        self.name
    }

    fn exports<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let globals = ctx.globals();
        if let Some(constructor) = globals.get::<_, Option<Function>>(CONSTRUCTOR_GLOBAL)? {
            return as_object(ctx, constructor);
        }
        let constructor: Function = ctx.eval(include_str!("../../js/events.js"))?;
        globals.prop(
            CONSTRUCTOR_GLOBAL,
            rquickjs::object::Property::from(constructor.clone()),
        )?;
        as_object(ctx, constructor)
    }
}

/// The constructor as the module's exports object.
fn as_object<'js>(ctx: &Ctx<'js>, constructor: Function<'js>) -> rquickjs::Result<Object<'js>> {
    constructor.into_value().into_object().ok_or_else(|| {
        rquickjs::Exception::throw_internal(ctx, "events: constructor is not an object")
    })
}
