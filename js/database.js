// The `database` module's JS face (also required as `db`): argument spreading, SQL checks and
// transaction objects. Every statement is a native op (src/bridge/database.rs). Evaluated once per
// name with the runtime's shared native ops and the name the script required.
(function (native, name) {
  "use strict";

  function describe(value) {
    return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  }

  // Statement parameters: the arguments after the SQL, or the elements of a single array argument.
  function params(args) {
    var rest = Array.prototype.slice.call(args, 1);
    if (rest.length === 1 && Array.isArray(rest[0])) return rest[0];
    return rest;
  }

  function sqlOf(sql, fn) {
    if (typeof sql !== "string") {
      throw new TypeError(fn + " requires an SQL string, got " + describe(sql));
    }
    return sql;
  }

  // An uncommitted transaction whose object is collected is rolled back.
  var abandoned = new FinalizationRegistry(function (id) {
    native.abandon(id);
  });

  function transaction(id) {
    var tx = {
      query: function (sql) {
        return native.txQuery(id, sqlOf(sql, "query"), params(arguments));
      },
      exec: function (sql) {
        return native.txExec(id, sqlOf(sql, "exec"), params(arguments));
      },
      commit: function () {
        return native.commit(id);
      },
      rollback: function () {
        return native.rollback(id);
      },
    };
    abandoned.register(tx, id);
    return tx;
  }

  return {
    configure: function (driver, dsn) {
      native.configure(name, driver, dsn);
      return undefined;
    },
    query: function (sql) {
      return native.query(name, sqlOf(sql, "query"), params(arguments));
    },
    exec: function (sql) {
      return native.exec(name, sqlOf(sql, "exec"), params(arguments));
    },
    queryAsync: function (sql) {
      return native.queryAsync(name, sqlOf(sql, "queryAsync"), params(arguments));
    },
    execAsync: function (sql) {
      return native.execAsync(name, sqlOf(sql, "execAsync"), params(arguments));
    },
    begin: function () {
      return transaction(native.begin(name));
    },
    close: function () {
      native.close();
      return undefined;
    },
  };
});
