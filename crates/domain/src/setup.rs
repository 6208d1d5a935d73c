//! The onboarding wizard's steps, shared by its pages and the operation that saves an owner's place.

/// The wizard's steps in order, with their titles; `done` follows the last.
pub const STEPS: [(&str, &str); 7] = [
    ("profile", "Your business"),
    ("hours", "Hours"),
    ("area", "Service area"),
    ("services", "Services and prices"),
    ("technicians", "Technicians"),
    ("integrations", "Connections"),
    ("test", "Test inquiry"),
];

/// What follows the last step.
pub const DONE: &str = "done";

pub fn step_index(step: &str) -> Option<usize> {
    STEPS.iter().position(|(s, _)| *s == step)
}

/// The step after `step`, or `done`.
pub fn next_step(step: &str) -> &'static str {
    step_index(step).and_then(|i| STEPS.get(i + 1)).map_or(DONE, |(s, _)| s)
}

/// A place the wizard can be saved at: a step or `done`.
pub fn is_place(step: &str) -> bool {
    step == DONE || step_index(step).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wizard_walks_its_steps_in_order() {
        assert_eq!(next_step("profile"), "hours");
        assert_eq!(next_step("integrations"), "test");
        assert_eq!(next_step("test"), "done");
        assert_eq!(step_index("area"), Some(2));
        assert_eq!(step_index("done"), None);
        assert!(is_place("done") && is_place("hours") && !is_place("elsewhere"));
    }
}
