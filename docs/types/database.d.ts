// The `database` JS module (also `db`) as TypeScript declarations, hand-written (contract:
// docs/database.md). Scripts use it as `const db = require("database")` or
// `import db from "database"`; both names share one SQLite connection per runtime.

declare module "database" {
    namespace database {
        /** A value bound to a `?` placeholder: `boolean` binds 0/1, `undefined` binds NULL. */
        export type Param = null | undefined | boolean | number | bigint | string | Uint8Array;
        /** A column value of a result row: integers and reals are numbers, blobs `Uint8Array`. */
        export type Column = null | number | string | Uint8Array;
        /** A result row keyed by column name. */
        export type Row = { [column: string]: Column };
        /** What `exec` returns. */
        export interface ExecResult {
            readonly success: true;
            /** Rows inserted, updated or deleted. */
            readonly rowsAffected: number;
            /** The connection's last inserted rowid. */
            readonly lastInsertId: number;
        }
        /** A transaction from `begin()`; any use after `commit`/`rollback` throws `database transaction is closed`. */
        export interface Transaction {
            query(sql: string, ...params: Param[]): Row[];
            query(sql: string, params: Param[]): Row[];
            exec(sql: string, ...params: Param[]): ExecResult;
            exec(sql: string, params: Param[]): ExecResult;
            /** Commits; a failing commit throws `transaction commit: <sqlite message>` and rolls back. */
            commit(): { readonly success: true };
            rollback(): { readonly success: true };
        }

        /** Opens `dsn` with `driver` (`"sqlite3"` or `"sqlite"`), closing the previous connection. */
        export function configure(driver: "sqlite3" | "sqlite", dsn: string): undefined;
        /** Runs a query; a single array argument is spread into the parameters. */
        export function query(sql: string, ...params: Param[]): Row[];
        export function query(sql: string, params: Param[]): Row[];
        /** Runs a statement. */
        export function exec(sql: string, ...params: Param[]): ExecResult;
        export function exec(sql: string, params: Param[]): ExecResult;
        /** Like `query`, as a promise. */
        export function queryAsync(sql: string, ...params: Param[]): Promise<Row[]>;
        export function queryAsync(sql: string, params: Param[]): Promise<Row[]>;
        /** Like `exec`, as a promise. */
        export function execAsync(sql: string, ...params: Param[]): Promise<ExecResult>;
        export function execAsync(sql: string, params: Param[]): Promise<ExecResult>;
        /** Starts a transaction (one at a time per connection). */
        export function begin(): Transaction;
        /** Closes the connection (does nothing for a connection the embedder handed in). */
        export function close(): undefined;
    }

    export = database;
}

declare module "db" {
    import database = require("database");
    export = database;
}
