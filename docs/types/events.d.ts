// The `events` module (also `node:events`): the Node EventEmitter subset of js-api-agent.md.
// Hand-written (not generated).

declare module "events" {
    type Listener = (...args: any[]) => void;

    class EventEmitter {
        constructor();
        static EventEmitter: typeof EventEmitter;
        static defaultMaxListeners: number;
        /** A Promise of the argument array of the next `name` event (rejects on "error" first). */
        static once(emitter: EventEmitter, name: string | symbol): Promise<any[]>;
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
        listenerCount(name: string | symbol): number;
        eventNames(): Array<string | symbol>;
        setMaxListeners(n: number): this;
        getMaxListeners(): number;
    }

    export = EventEmitter;
}

declare module "node:events" {
    import EventEmitter = require("events");
    export = EventEmitter;
}
