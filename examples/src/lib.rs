//! Host examples for rtio (in progress).
