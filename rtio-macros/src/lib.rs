//! Proc-macros for rtio (in progress).
