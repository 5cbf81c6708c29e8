// MUST FAIL: the pending timer keeps the process alive until it fires; its throw is uncaught.
// If the process exited before the timer fired, this script would wrongly exit 0.
setTimeout(() => {
  throw new Error("deliberate timer failure c0de");
}, 50);
