// A classic script whose completion value is a Promise is awaited: its rejection fails the script
// (exit 1), even though a handler is attached (so it is not an unhandled rejection).
const settled = new Promise((resolve, reject) => setTimeout(() => reject(new Error("completion rejected 7c2d")), 5));
settled.catch(() => {});
settled;
