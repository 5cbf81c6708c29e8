// A module imported by tests/js/imports.mjs (relative imports resolve against the importer).
export const answer = 42;
export function double(n) {
  return 2 * n;
}
