// The `events` module (also `node:events`): the Node EventEmitter subset of js-api-agent.md.
// Hand-written (not generated). Shaped like @types/node's (a class merged with a namespace) so that
// `import EventEmitter, { EventEmitter as E, once } from "events"` type-checks.

declare module "events" {
    type Listener = (...args: any[]) => void;
    import internal = require("events");

    class EventEmitter {
        constructor();
        /** The default `getMaxListeners()` of emitters without their own (10). */
        static defaultMaxListeners: number;
        /** Listeners of this symbol see every `"error"` emission before the `"error"` listeners. */
        static readonly errorMonitor: unique symbol;
        /** A Promise of the argument array of the next `name` event (rejects on "error" first). */
        static once(emitter: EventEmitter, name: string | symbol): Promise<any[]>;
        /** The argument arrays of `name` events as they come; an "error" event rejects the next read. */
        static on(emitter: EventEmitter, name: string | symbol): AsyncIterableIterator<any[]>;
        /** Deprecated in Node: `emitter.listenerCount(name)`. */
        static listenerCount(emitter: EventEmitter, name: string | symbol): number;
        /** A copy of the listeners of `name` (`emitter.listeners(name)`). */
        static getEventListeners(emitter: EventEmitter, name: string | symbol): Listener[];
        /** Sets the max listeners of the given emitters (none: `defaultMaxListeners`). */
        static setMaxListeners(n?: number, ...emitters: EventEmitter[]): void;
        /** `emitter.getMaxListeners()`. */
        static getMaxListeners(emitter: EventEmitter): number;
        on(name: string | symbol, listener: Listener): this;
        addListener(name: string | symbol, listener: Listener): this;
        prependListener(name: string | symbol, listener: Listener): this;
        once(name: string | symbol, listener: Listener): this;
        prependOnceListener(name: string | symbol, listener: Listener): this;
        off(name: string | symbol, listener: Listener): this;
        removeListener(name: string | symbol, listener: Listener): this;
        removeAllListeners(name?: string | symbol): this;
        emit(name: string | symbol, ...args: any[]): boolean;
        listeners(name: string | symbol): Listener[];
        rawListeners(name: string | symbol): Listener[];
        /** With `listener`: how many times that function is registered. */
        listenerCount(name: string | symbol, listener?: Listener): number;
        eventNames(): Array<string | symbol>;
        setMaxListeners(n: number): this;
        getMaxListeners(): number;
    }

    namespace EventEmitter {
        export { internal as EventEmitter };
    }

    export = EventEmitter;
}

declare module "node:events" {
    import EventEmitter = require("events");
    export = EventEmitter;
}
