//! trybuild cases for rtio-macros (in progress).
