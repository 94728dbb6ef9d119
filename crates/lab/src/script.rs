//! Frame-level script DSL (to be written).
