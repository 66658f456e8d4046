//! Planning: the desired state from the stack, the pure diff against live state, and rendering.

pub mod autoscaling;
pub mod desired;
pub mod diff;
pub mod json;
pub mod model;
pub mod names;
pub mod render;

pub use diff::{LiveState, diff};
pub use model::*;
