// MUST FAIL: an unhandled promise rejection exits 1, as in Node and Deno.
Promise.reject(new Error("deliberate unhandled rejection 91bc"));
