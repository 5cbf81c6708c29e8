//! A small line diff for stale-file reports.

use std::fmt::Write;

/// Lines of context shown around each change.
const CONTEXT: usize = 2;

/// A readable line diff from `old` to `new`: changed lines prefixed `-`/`+`, with line numbers
/// of `old` and a little context; empty when the texts are equal.
pub fn line_diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let ops = edit_script(&old, &new);
    let changed: Vec<bool> = ops.iter().map(|op| !matches!(op, Op::Same(..))).collect();
    let mut out = String::new();
    let mut last_shown = None;
    for (index, op) in ops.iter().enumerate() {
        let lo = index.saturating_sub(CONTEXT);
        let hi = (index + CONTEXT + 1).min(ops.len());
        if !changed[lo..hi].iter().any(|&c| c) {
            continue;
        }
        if last_shown.is_some_and(|last| last + 1 != index) || (last_shown.is_none() && index > 0) {
            out.push_str("...\n");
        }
        last_shown = Some(index);
        let _ = match *op {
            Op::Same(line, text) => writeln!(out, "{:>5}   {text}", line + 1),
            Op::Delete(line, text) => writeln!(out, "{:>5} - {text}", line + 1),
            Op::Insert(text) => writeln!(out, "      + {text}"),
        };
    }
    out
}

enum Op<'a> {
    /// A line of both texts (its index in `old`).
    Same(usize, &'a str),
    /// A line only in `old` (its index in `old`).
    Delete(usize, &'a str),
    /// A line only in `new`.
    Insert(&'a str),
}

/// The longest-common-subsequence edit script; the files are small enough for the quadratic table.
fn edit_script<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Op<'a>> {
    let (n, m) = (old.len(), new.len());
    let mut table = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if old[i] == new[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            ops.push(Op::Same(i, old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || table[i + 1][j] >= table[i][j + 1]) {
            ops.push(Op::Delete(i, old[i]));
            i += 1;
        } else {
            ops.push(Op::Insert(new[j]));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(old: &str, new: &str, expected: &str) {
        assert_eq!(line_diff(old, new), expected);
    }

    #[test]
    fn diffs_lines() {
        check("a\nb\n", "a\nb\n", "");
        check(
            "a\nb\nc\n",
            "a\nx\nc\n",
            "    1   a\n    2 - b\n      + x\n    3   c\n",
        );
        check(
            "1\n2\n3\n4\n5\n6\n",
            "1\n2\n3\n4\n5\n6\n7\n",
            "...\n    5   5\n    6   6\n      + 7\n",
        );
    }
}
