//! Transition tables: each machine declares its `(from, trigger, to)` triples once, in a
//! `const` table; the machine moves only through [`lookup`], and the table is rendered
//! (text and Graphviz dot) for snapshot tests and the docs.

use core::fmt::{Debug, Write as _};

/// One row of a transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<S, T> {
    /// The state before.
    pub from: S,
    /// What happened.
    pub on: T,
    /// The state after.
    pub to: S,
}

/// The state `table` leads to from `from` on `on`, or `None` if the table has no row.
pub fn lookup<S: Copy + Eq, T: Copy + Eq>(table: &[Transition<S, T>], from: S, on: T) -> Option<S> {
    table
        .iter()
        .find(|t| t.from == from && t.on == on)
        .map(|t| t.to)
}

/// The table as aligned text, one row per line.
pub fn render_table<S: Debug, T: Debug>(table: &[Transition<S, T>]) -> String {
    let mut out = String::new();
    for t in table {
        let _ = writeln!(
            out,
            "{:<12} --{:<22}--> {:?}",
            format!("{:?}", t.from),
            format!("{:?}", t.on),
            t.to
        );
    }
    out
}

/// The table as a Graphviz digraph.
pub fn render_dot<S: Debug, T: Debug>(name: &str, table: &[Transition<S, T>]) -> String {
    let mut out = format!("digraph {name} {{\n  rankdir=LR;\n");
    for t in table {
        let _ = writeln!(out, "  {:?} -> {:?} [label=\"{:?}\"];", t.from, t.to, t.on);
    }
    out.push_str("}\n");
    out
}
