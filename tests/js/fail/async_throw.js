// MUST FAIL: an async function that throws after an await, with nobody handling the rejection.
async function main() {
  await new Promise((resolve) => setTimeout(resolve, 10));
  throw new Error("deliberate async failure 2d44");
}
main();
