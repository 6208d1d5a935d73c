//! Normalised inquiry text with word and phrase lookups.

pub(crate) struct Text {
    /// Lower-cased, with every run of non-alphanumeric characters collapsed to one space and a
    /// space at both ends, so `has(" no heat ")`-style phrase checks respect word boundaries.
    spaced: String,
    /// The raw text lower-cased (for markup checks).
    pub(crate) raw: String,
}

impl Text {
    pub(crate) fn new(raw: &str) -> Self {
        let lower = raw.to_lowercase();
        let mut spaced = String::with_capacity(lower.len() + 2);
        spaced.push(' ');
        let mut last_space = true;
        for c in lower.chars() {
            let keep = c.is_alphanumeric() || c == '%' || c == '/';
            if keep {
                spaced.push(c);
                last_space = false;
            } else if !last_space {
                spaced.push(' ');
                last_space = true;
            }
        }
        if !last_space {
            spaced.push(' ');
        }
        Self { spaced, raw: lower }
    }

    /// Whether the phrase occurs as whole words (`"no heat"` matches "no heat!" but not "no heater").
    pub(crate) fn has(&self, phrase: &str) -> bool {
        let needle = format!(" {} ", phrase.trim());
        self.spaced.contains(&needle)
    }

    /// Whether a word starting with `prefix` occurs (`"leak"` matches leaks, leaking, leaky).
    pub(crate) fn has_stem(&self, prefix: &str) -> bool {
        self.spaced.contains(&format!(" {prefix}"))
    }

    pub(crate) fn any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.has(p))
    }

    pub(crate) fn any_stem(&self, prefixes: &[&str]) -> bool {
        prefixes.iter().any(|p| self.has_stem(p))
    }

    pub(crate) fn count(&self, phrases: &[&str]) -> usize {
        phrases.iter().filter(|p| self.has(p)).count()
    }

    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.spaced.split(' ').filter(|w| !w.is_empty())
    }

    /// Indoor temperatures: a number followed by "degree(s)" with a word for the home among the
    /// four words before it ("the house is 48 degrees"). "10 degrees tonight" is the weather.
    pub(crate) fn indoor_temperatures(&self) -> Vec<i64> {
        const INDOORS: [&str; 7] = ["house", "inside", "here", "home", "room", "apartment", "indoors"];
        let words: Vec<&str> = self.words().collect();
        (1..words.len())
            .filter(|&i| words[i].starts_with("degree"))
            .filter(|&i| words[i.saturating_sub(5)..i - 1].iter().any(|w| INDOORS.contains(w)))
            .filter_map(|i| words[i - 1].parse::<i64>().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn phrases_match_whole_words_only() {
        let t = Text::new("No heat!! The heater's fine, but the house is 48 degrees and it's 10 degrees tonight.");
        assert!(t.has("no heat"));
        assert!(!t.has("heat pump"));
        assert!(t.has_stem("heater"));
        assert_eq!(t.indoor_temperatures(), vec![48]);
    }
}
