"""Tables generated from third-party data (see scripts/), loaded without their libraries."""
