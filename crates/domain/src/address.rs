//! The street line of a service address: what a technician needs besides the ZIP code to find the
//! job. A ZIP code alone says whether the shop serves the area, not which door to knock on.

/// The longest street line kept (a house number, a street name, a unit).
pub const STREET_MAX_CHARS: usize = 120;

/// Words that end a US street name ("Walnut St", "Lake Shore Drive").
const SUFFIXES: &[&str] = &[
    "st",
    "street",
    "ave",
    "av",
    "avenue",
    "rd",
    "road",
    "dr",
    "drive",
    "ln",
    "lane",
    "blvd",
    "boulevard",
    "ct",
    "court",
    "way",
    "pl",
    "place",
    "ter",
    "terrace",
    "cir",
    "circle",
    "pkwy",
    "parkway",
    "hwy",
    "highway",
    "trl",
    "trail",
    "sq",
    "square",
    "loop",
    "pike",
    "row",
    "crossing",
    "xing",
    "alley",
    "plaza",
];

/// Words that start a Spanish street name, the house number following it ("Calle Olmo 12").
const SPANISH_PREFIXES: &[&str] = &["calle", "avenida", "camino", "paseo"];

/// Words that never sit between a house number and its street ("3 units on Walnut St" is not an
/// address).
const NOT_IN_A_STREET_NAME: &[&str] =
    &["on", "at", "in", "of", "and", "for", "to", "the", "my", "our", "a", "is", "from", "with", "or", "by", "near"];

/// Words that say a number is an amount, not a house number ("55 degrees way too cold").
const NOT_AFTER_A_HOUSE_NUMBER: &[&str] = &[
    "degrees", "deg", "years", "yrs", "year", "days", "day", "hours", "hrs", "minutes", "mins", "weeks", "months",
    "units", "times", "am", "pm", "gallons", "gal", "amp", "amps", "volt", "volts", "ft", "feet", "inches", "story",
    "stories", "percent", "people", "kids", "rooms", "bedrooms", "baths", "outlets", "lights", "of",
];

fn bare(token: &str) -> String {
    token.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

/// A house number: digits, optionally with one letter or a range ("1420", "12B", "12-14").
fn is_house_number(token: &str) -> bool {
    let t = token.trim_end_matches([',', '.', ';', ':']);
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = &t[digits..];
    (1..=6).contains(&digits)
        && (rest.is_empty()
            || rest.len() == 1 && rest.chars().all(|c| c.is_ascii_alphabetic())
            || rest.strip_prefix('-').is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit())))
}

/// A word that can be part of a street's name ("Walnut", "N.", "5th", "O'Leary").
fn is_name_word(token: &str) -> bool {
    let word = bare(token);
    !word.is_empty()
        && !NOT_IN_A_STREET_NAME.contains(&word.as_str())
        && word.chars().any(|c| c.is_alphabetic())
        && word.chars().all(|c| c.is_alphanumeric() || c == '\'')
}

fn line(tokens: &[&str]) -> Option<String> {
    let joined = tokens.join(" ");
    let trimmed = joined.trim_end_matches([',', '.', ';', ':', '!', '?']).trim();
    (!trimmed.is_empty() && trimmed.chars().count() <= STREET_MAX_CHARS).then(|| trimmed.to_owned())
}

/// The first street line written in free text: a house number, up to five words of name and a
/// street suffix ("1420 Walnut St"), or a Spanish street and its number ("Calle Olmo 12").
pub fn street_in_text(text: &str) -> Option<String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for (i, token) in tokens.iter().enumerate() {
        if is_house_number(token) && !token.starts_with('$') && !token.ends_with(',') {
            let amount = tokens.get(i + 1).is_some_and(|next| NOT_AFTER_A_HOUSE_NUMBER.contains(&bare(next).as_str()));
            for end in (i + 1..tokens.len().min(i + 7)).take_while(|_| !amount) {
                if end > i + 1 && SUFFIXES.contains(&bare(tokens[end]).as_str()) {
                    return line(&tokens[i..=end]);
                }
                // A comma ends the name before any suffix came: "12, Walnut St" is no address.
                if !is_name_word(tokens[end]) || tokens[end].ends_with(',') {
                    break;
                }
            }
        }
        if SPANISH_PREFIXES.contains(&bare(token).as_str()) {
            for end in i + 2..tokens.len().min(i + 6) {
                if is_house_number(tokens[end]) {
                    return line(&tokens[i..=end]);
                }
                if !is_name_word(tokens[end]) {
                    break;
                }
            }
        }
    }
    None
}

/// The street line of an address typed into an address field ("12 Elm St, Chicago, IL 60601" →
/// "12 Elm St"): its first comma-separated part that holds a house number and a word. A town or
/// a ZIP code alone names no street.
pub fn street_line(address: &str) -> Option<String> {
    address.split([',', '\n']).map(str::trim).find_map(|part| {
        let tokens: Vec<&str> = part.split_whitespace().collect();
        let word = |t: &&str| is_name_word(t) && bare(t).chars().filter(|c| c.is_alphabetic()).count() >= 2;
        // The number comes first ("1420 Walnut"); a number after the words is a ZIP code
        // ("Springfield IL 62704"), except in a Spanish street ("Calle Olmo 12").
        let numbered_street =
            tokens.iter().position(|t| is_house_number(t)).is_some_and(|n| tokens[n + 1..].iter().any(word));
        let spanish_street = tokens.first().is_some_and(|t| SPANISH_PREFIXES.contains(&bare(t).as_str()))
            && tokens.iter().any(|t| is_house_number(t));
        (numbered_street || spanish_street).then(|| line(&tokens)).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::{street_in_text, street_line};

    #[test]
    fn a_street_is_found_in_what_customers_write() {
        let found = |t: &str| street_in_text(t);
        assert_eq!(found("It's 1420 Walnut St, Springfield 62704.").as_deref(), Some("1420 Walnut St"));
        assert_eq!(found("come to 12b N. Lake Shore Drive please").as_deref(), Some("12b N. Lake Shore Drive"));
        assert_eq!(found("we're at 305 W 5th Ave.").as_deref(), Some("305 W 5th Ave"));
        assert_eq!(found("vivo en Calle Olmo 12, 62704").as_deref(), Some("Calle Olmo 12"));
        assert_eq!(found("The furnace is broken. 62704"), None);
        assert_eq!(found("3 units on Walnut Street need service"), None);
        assert_eq!(found("it is 55 degrees and up to $250 is fine"), None);
        assert_eq!(found("Springfield IL 62704"), None);
        assert_eq!(found("it's 55 degrees way too cold"), None);
        assert_eq!(found("12, Walnut St"), None);
    }

    #[test]
    fn an_address_field_names_a_street_only_with_a_number_and_a_name() {
        assert_eq!(street_line("12 Elm St, Chicago, IL 60601").as_deref(), Some("12 Elm St"));
        assert_eq!(street_line("Chicago, 1420 Walnut").as_deref(), Some("1420 Walnut"));
        assert_eq!(street_line("Springfield, IL 62704"), None);
        assert_eq!(street_line("Springfield IL 62704"), None);
        assert_eq!(street_line("Calle Olmo 12, 62704").as_deref(), Some("Calle Olmo 12"));
        assert_eq!(street_line("62704"), None);
        assert_eq!(street_line(""), None);
    }
}
