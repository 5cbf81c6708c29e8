// Globals of the script harness (`geppetto run <script>`), hand-written (contract: docs/js-api.md,
// "Script harness"). Together with geppetto.d.ts and turns.d.ts they let `tsc --checkJs` type-check
// plain JS scripts; see docs/types/tsconfig.json.

/** Throws `msg` (or `assertion failed`) when `cond` is falsy. */
declare function assert(cond: unknown, msg?: string): asserts cond;

/** The process environment variables. */
declare const ENV: { readonly [name: string]: string | undefined };

/**
 * Blocks the script for `ms` milliseconds (0 to 2147483647; omitted: 0). A non-number throws a
 * `TypeError`; NaN, ±Infinity, a negative or a larger value a `RangeError`.
 */
declare function sleep(ms?: number): void;

/** Console output: arguments are space-joined, objects JSON-encoded. */
declare const console: {
    /** Writes a line to stdout. */
    log(...args: unknown[]): void;
    /** Writes a line to stderr. */
    error(...args: unknown[]): void;
};

/** A timer id returned by `setTimeout`. */
type TimerId = number;

/**
 * Runs `cb(...args)` after `ms` milliseconds (default 0). The delay is converted as browsers do:
 * NaN, ±Infinity and non-numbers are 0, values wrap modulo 2^32 (2^31 ms or more wraps), negatives
 * are 0.
 */
declare function setTimeout<A extends unknown[]>(
    cb: (...args: A) => void,
    ms?: number,
    ...args: A
): TimerId;

/** Cancels a timer; unknown or spent ids are ignored. */
declare function clearTimeout(id?: TimerId): void;

/** Loads a built-in module. */
declare function require(id: "geppetto"): typeof import("geppetto");
declare function require(id: "database" | "db"): typeof import("database");
declare function require(id: string): any;
