//! What `--help` says about the lab, for the `baton-lab` binary and
//! `baton lab` alike: the scenarios from [`SCENARIOS`] and the routes from
//! [`ROUTES`], so that each list is written once.

use crate::routes::{DELAY_NOTE, ROUTES};
use crate::scenario::SCENARIOS;

/// The scenarios with their parameters and defaults, then the routes.
pub fn scenarios_and_routes() -> String {
    let mut text = String::from("Scenarios (parameters as KEY=VALUE, defaults shown):\n");
    for (name, about) in SCENARIOS {
        text.push_str(&format!("  {name:<20} {about}\n"));
    }
    text.push_str("\nRoutes (any method):\n");
    for (path, response) in ROUTES {
        text.push_str(&format!("  {path:<38} {response}\n"));
    }
    text.push_str(&format!("  {DELAY_NOTE}\n"));
    text
}
