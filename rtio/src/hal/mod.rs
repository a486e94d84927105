//! embedded-hal adapters (feature `embedded-hal`): being written.
