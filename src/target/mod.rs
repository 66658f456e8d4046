//! The health-endpoint server (see src/bin/lbstack-target.rs).
