//! Devicetree front ends (in progress).
