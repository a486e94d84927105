//! Simulated peripherals (feature `std`): being written.
