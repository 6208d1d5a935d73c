//! Normalised inquiry text with word and phrase lookups.

pub(crate) struct Text {
    /// Lower-cased, with every run of non-alphanumeric characters collapsed to one space and a
    /// space at both ends, so `has(" no heat ")`-style phrase checks respect word boundaries.
    spaced: String,
    /// The raw text lower-cased (for markup checks).
    pub(crate) raw: String,
}

/// Accented letters read as their plain letter ("calefacción" as "calefaccion").
fn plain_letter(c: char) -> char {
    match c {
        'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        other => other,
    }
}

/// Shorthand and common misspellings, read as the word meant ("pls fix wtr htr" as "please fix
/// water heater").
const SPELLINGS: &[(&str, &str)] = &[
    ("pls", "please"),
    ("plz", "please"),
    ("plse", "please"),
    ("wtr", "water"),
    ("htr", "heater"),
    ("heatr", "heater"),
    ("tmrw", "tomorrow"),
    ("tmr", "tomorrow"),
    ("tmrrw", "tomorrow"),
    ("tomorow", "tomorrow"),
    ("tommorow", "tomorrow"),
    ("tommorrow", "tomorrow"),
    ("2morrow", "tomorrow"),
    ("tonite", "tonight"),
    ("2nite", "tonight"),
    ("furnance", "furnace"),
    ("furnase", "furnace"),
    ("furnice", "furnace"),
    ("thermastat", "thermostat"),
    ("thermistat", "thermostat"),
    ("themostat", "thermostat"),
    ("toliet", "toilet"),
    ("toilit", "toilet"),
    ("faucit", "faucet"),
    ("brekaer", "breaker"),
    ("breakr", "breaker"),
    ("outlit", "outlet"),
    ("electrition", "electrician"),
    ("electrican", "electrician"),
    ("electricion", "electrician"),
    ("condensor", "condenser"),
    ("disposel", "disposal"),
    ("plumer", "plumber"),
    ("leek", "leak"),
    ("leeking", "leaking"),
    ("u", "you"),
    ("ur", "your"),
    ("thx", "thanks"),
    ("thnx", "thanks"),
    ("b4", "before"),
    ("appt", "appointment"),
    ("w/", "with"),
    ("wud", "would"),
    ("cud", "could"),
    // Contractions typed without the apostrophe read as with it ("wont" as "won't").
    ("wont", "won t"),
    ("dont", "don t"),
    ("isnt", "isn t"),
    ("doesnt", "doesn t"),
    ("didnt", "didn t"),
    ("cant", "can t"),
    ("hasnt", "hasn t"),
    ("havent", "haven t"),
    ("wasnt", "wasn t"),
    ("arent", "aren t"),
    ("aint", "ain t"),
    ("thru", "through"),
    ("yr", "year"),
    ("yrs", "years"),
];

/// Trade words long and distinct enough that a word one letter off is a typo for them ("furnce",
/// "thermostst", "electricain"). Short or common words are left alone: "heated" is not "heater".
const TRADE_WORDS: &[&str] = &[
    "furnace",
    "thermostat",
    "toilet",
    "faucet",
    "breaker",
    "outlet",
    "electrician",
    "condenser",
    "disposal",
    "plumber",
    "generator",
    "compressor",
    "circuit",
    "ductwork",
    "dishwasher",
    "chandelier",
];

/// The trade word `word` misspells: one letter added, dropped, changed or two swapped, from exactly
/// one of [`TRADE_WORDS`]. The word itself and its plural are not misspellings.
fn misspelt(word: &str) -> Option<&'static str> {
    if word.chars().count() < 5 || !word.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut meant = TRADE_WORDS
        .iter()
        .filter(|w| word != **w && word.strip_suffix('s') != Some(**w))
        .filter(|w| one_edit_apart(word, w));
    match (meant.next(), meant.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Whether `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common_start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a_rest, b_rest) = (&a[common_start..], &b[common_start..]);
    match a.len().abs_diff(b.len()) {
        0 => {
            !a_rest.is_empty()
                && (a_rest[1..] == b_rest[1..]
                    || (a_rest.len() >= 2
                        && a_rest[0] == b_rest[1]
                        && a_rest[1] == b_rest[0]
                        && a_rest[2..] == b_rest[2..]))
        }
        1 if a.len() > b.len() => a_rest[1..] == *b_rest,
        1 => b_rest[1..] == *a_rest,
        _ => false,
    }
}

impl Text {
    pub(crate) fn new(raw: &str) -> Self {
        let lower = raw.to_lowercase();
        let mut words = Vec::new();
        let mut word = String::new();
        for c in lower.chars().map(plain_letter) {
            if c.is_alphanumeric() || c == '%' || c == '/' {
                word.push(c);
            } else if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        let mut spaced = String::with_capacity(lower.len() + 2);
        spaced.push(' ');
        for word in &words {
            let meant = SPELLINGS
                .iter()
                .find(|(written, _)| written == word)
                .map(|(_, meant)| *meant)
                .or_else(|| misspelt(word))
                .unwrap_or(word.as_str());
            spaced.push_str(meant);
            spaced.push(' ');
        }
        Self { spaced, raw: lower }
    }

    /// Whether the phrase occurs as whole words (`"no heat"` matches "no heat!" but not "no heater").
    /// The phrase is read the way the text is (accents, shorthand).
    pub(crate) fn has(&self, phrase: &str) -> bool {
        let needle = Self::new(phrase).spaced;
        needle.len() > 2 && self.spaced.contains(&needle)
    }

    /// Whether a word starting with `prefix` occurs (`"leak"` matches leaks, leaking, leaky).
    pub(crate) fn has_stem(&self, prefix: &str) -> bool {
        let prefix: String = prefix.chars().map(plain_letter).collect();
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
    /// four words before it or the three after ("the house is 48 degrees", "49 degrees in the
    /// house"). "10 degrees tonight" is the weather.
    pub(crate) fn indoor_temperatures(&self) -> Vec<i64> {
        const INDOORS: [&str; 7] = ["house", "inside", "here", "home", "room", "apartment", "indoors"];
        let words: Vec<&str> = self.words().collect();
        let indoors = |i: usize| {
            let before = &words[i.saturating_sub(5)..i - 1];
            let after = &words[i + 1..(i + 4).min(words.len())];
            before.iter().chain(after).any(|w| INDOORS.contains(w))
        };
        (1..words.len())
            .filter(|&i| words[i].starts_with("degree"))
            .filter(|&i| indoors(i))
            .filter_map(|i| words[i - 1].parse::<i64>().ok())
            .collect()
    }

    /// People's ages: "4 year old", "80-year-old", "my grandmother (84)"; a baby "2 months old" is
    /// 0 ("15 years old" is how old a thing is).
    pub(crate) fn ages(&self) -> Vec<i64> {
        const RELATIVES: [&str; 12] = [
            "grandmother",
            "grandfather",
            "grandma",
            "grandpa",
            "mother",
            "father",
            "mom",
            "dad",
            "mum",
            "aunt",
            "uncle",
            "neighbor",
        ];
        let words: Vec<&str> = self.words().collect();
        let number = |i: usize| words.get(i).and_then(|w| w.parse::<i64>().ok());
        let years = (1..words.len().saturating_sub(1))
            .filter(|&i| words[i] == "year" && words[i + 1] == "old")
            .filter_map(|i| number(i - 1));
        let months = (1..words.len().saturating_sub(1))
            .filter(|&i| matches!(words[i], "month" | "months" | "week" | "weeks") && words[i + 1] == "old")
            .filter(|&i| number(i - 1).is_some())
            .map(|_| 0);
        // "my mother (91)", "my mother is 91", "mom's 88".
        let named = (0..words.len().saturating_sub(1)).filter(|&i| RELATIVES.contains(&words[i])).filter_map(|i| {
            let at = if matches!(words[i + 1], "is" | "s") { i + 2 } else { i + 1 };
            number(at).filter(|age| (1..=110).contains(age))
        });
        // The writer's own: "I'm 79", "I am 84" — not "I'm 5 minutes away".
        const NOT_AGES: [&str; 8] = ["minutes", "min", "miles", "mins", "degrees", "dollars", "percent", "%"];
        let own = (0..words.len().saturating_sub(2))
            .filter(|&i| words[i] == "i" && matches!(words[i + 1], "m" | "am"))
            .filter(|&i| words.get(i + 3).is_none_or(|next| !NOT_AGES.contains(next)))
            .filter_map(|i| number(i + 2).filter(|age| (18..=110).contains(age)));
        years.chain(months).chain(named).chain(own).collect()
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

    #[test]
    fn ages_are_read_however_they_are_written() {
        assert_eq!(Text::new("my 4-year-old and 80 year old dad").ages(), vec![4, 80]);
        assert_eq!(Text::new("a 2 month old, a 3 yr old and grandma (84)").ages(), vec![3, 0, 84]);
        assert!(Text::new("the furnace is 15 years old").ages().is_empty());
        assert_eq!(Text::new("my father is 92, mom's 87").ages(), vec![92, 87]);
        assert_eq!(Text::new("It's just me here and I'm 79.").ages(), vec![79]);
        assert!(Text::new("I'm 25 minutes away, I am 40 miles out").ages().is_empty());
    }

    #[test]
    fn accents_shorthand_and_misspellings_read_as_meant() {
        let t = Text::new("Sin calefacción!! pls fix the wtr htr tmrw, furnance is fine");
        assert!(t.has("sin calefaccion") && t.has("calefacción"));
        assert!(t.has("please fix the water heater tomorrow"));
        assert!(t.has("furnace"));
        assert!(!Text::new("").has(""));
        // One letter off a trade word is that word; real words and plurals are themselves.
        let t = Text::new("furnce wont start, thermostst blank, call an electricain; the toilets, the heated floor");
        assert!(t.has("furnace") && t.has("thermostat") && t.has("electrician"));
        assert!(t.has("toilets") && t.has("heated floor"));
    }

    #[test]
    fn one_edit_is_one_letter_added_dropped_changed_or_swapped() {
        use super::one_edit_apart;
        for (a, b) in [("furnce", "furnace"), ("furnacce", "furnace"), ("furnane", "furnace"), ("furnaec", "furnace")] {
            assert!(one_edit_apart(a, b), "{a} {b}");
        }
        for (a, b) in [("furnace", "furnace"), ("frunaec", "furnace"), ("furn", "furnace"), ("heated", "outlet")] {
            assert!(!one_edit_apart(a, b), "{a} {b}");
        }
    }
}
