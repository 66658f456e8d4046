//! Planning: the desired state from the stack, the pure diff against live state, and rendering.
//!
//! It never calls AWS: live state comes in, a plan comes out, so every part is unit-tested. The
//! plan is the contract apply keeps: nothing is written that a change here does not show.

pub mod autoscaling;
pub mod build;
pub mod desired;
pub mod diff;
pub mod json;
pub mod model;
pub mod outputs;
pub mod ports;
pub mod render;
pub mod secrets;

pub use build::{Options, build};
pub use diff::{LiveState, diff};
pub use model::*;
