//! Channel identity: how far the sender of an inbound message is proven to be who they say.
//!
//! A message is only as trusted as its channel proves. Each channel adapter fills in the contacts
//! its proof covers and nothing else (an SMS carries the carrier-delivered number, an email thread
//! reply its address). Only a verified sender continues a customer's thread or changes their
//! booking; an unverified message that names an existing customer starts a new lead, and changes
//! to that customer's booking go through a private link sent to the contact on file.

text_enum!(
    /// How an inbound message's sender was verified.
    SenderProof {
        /// Nothing proves it: a web form, or an API caller that does not vouch for the contact.
        None => "none",
        /// An API caller allowed to vouch for senders says it verified the contact itself.
        ApiAssertion => "api_assertion",
        /// A chat-widget session the customer holds.
        WidgetSession => "widget_session",
        /// A reply in an email thread the shop started.
        EmailThread => "email_thread",
        /// An email whose DKIM/DMARC check passed at the receiving mailbox.
        EmailAuthenticated => "email_authenticated",
        /// An SMS the carrier delivered from the number.
        CarrierSms => "carrier_sms",
        /// A private manage link sent to the contact on file.
        ManageLink => "manage_link",
    }
);

impl SenderProof {
    /// The sender is proven to hold the contact details the message carries.
    pub const fn is_verified(self) -> bool {
        !matches!(self, Self::None)
    }

    /// In a shop owner's words, for the timeline.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::None => "not verified",
            Self::ApiAssertion => "verified by your integration",
            Self::WidgetSession => "verified by their chat session",
            Self::EmailThread => "verified: a reply to our email",
            Self::EmailAuthenticated => "verified by their email provider",
            Self::CarrierSms => "verified by their phone carrier",
            Self::ManageLink => "verified by their private booking link",
        }
    }
}

/// A name and a phone number the customer wrote in their message ("Tom Ames, 217-555-0142"), for
/// a new customer record whose form left them out. They fill gaps only: never a name or number
/// the sender gave, and never who the sender is (that is [`SenderProof`]'s to say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrittenContact {
    pub name: Option<crate::PersonName>,
    pub phone: Option<String>,
}

/// Words that start a line or a sentence but are not a name.
const NOT_NAMES: &[&str] = &[
    "Thanks",
    "Thank",
    "Hi",
    "Hello",
    "Hey",
    "Please",
    "The",
    "Our",
    "My",
    "We",
    "It",
    "This",
    "Call",
    "Text",
    "Regards",
    "Best",
    "Cheers",
    "Sincerely",
    "Gracias",
    "Saludos",
    "Sent",
    "Phone",
    "Cell",
    "Address",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Today",
    "Tomorrow",
    "Urgent",
];

/// Lines that close a message; the next line is usually the writer's name.
const CLOSINGS: [&str; 12] = [
    "thanks",
    "thank you",
    "thanks so much",
    "regards",
    "best regards",
    "kind regards",
    "best",
    "cheers",
    "sincerely",
    "thx",
    "gracias",
    "saludos",
];

impl WrittenContact {
    pub fn read(body: &str) -> Self {
        let lines: Vec<&str> = body
            .lines()
            .map(str::trim)
            .take_while(|l| !(l.starts_with("-----Original") || (l.starts_with("On ") && l.ends_with("wrote:"))))
            .filter(|l| !l.starts_with('>'))
            .collect();
        let phone = lines.iter().find_map(|line| phone_in(line));
        let name = lines.iter().enumerate().find_map(|(i, line)| {
            let introduced = ["my name is ", "this is ", "me llamo ", "soy "]
                .iter()
                .find_map(|intro| line.to_lowercase().find(intro).and_then(|at| line.get(at + intro.len()..)))
                .and_then(leading_name);
            let signed = (i > 0)
                .then(|| lines[i - 1].trim_end_matches([',', '!', '.']).to_lowercase())
                .filter(|previous| CLOSINGS.contains(&previous.as_str()))
                .and_then(|_| leading_name(line).filter(|name| line.trim_end_matches([',', '.', '!']) == name));
            let dashed = line.strip_prefix(['-', '—', '–']).map(str::trim).and_then(leading_name);
            let with_number = phone_in(line)
                .and_then(|_| leading_name(line))
                .filter(|name| line[name.len()..].trim_start().starts_with([',', '-', '—', ':', '(']));
            introduced.or(signed).or(dashed).or(with_number)
        });
        Self { name: name.and_then(|n| crate::PersonName::parse(&n).ok()), phone }
    }
}

/// One to three capitalised words at the start of `text` ("Tom Ames" of "Tom Ames, 217…").
fn leading_name(text: &str) -> Option<String> {
    let mut words = Vec::new();
    for word in text.split_whitespace().take(3) {
        let word = word.trim_end_matches([',', '.', '!', ':']);
        let capitalised = word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().skip(1).all(|c| c.is_alphabetic() || c == '\'' || c == '-')
            && word.chars().skip(1).any(char::is_lowercase);
        if !capitalised || NOT_NAMES.contains(&word) {
            break;
        }
        words.push(word);
        if text.split_whitespace().nth(words.len() - 1).is_some_and(|w| w.ends_with([',', '.', '!', ':'])) {
            break;
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// A North American phone number in `line` (10 digits, or 11 starting with 1), written with the
/// usual separators; kept as written.
fn phone_in(line: &str) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut start = 0;
    while start < chars.len() {
        let begins = chars[start].is_ascii_digit() || chars[start] == '(' || chars[start] == '+';
        let after_digit = start > 0 && chars[start - 1].is_ascii_digit();
        if begins && !after_digit {
            let mut end = start;
            while end < chars.len() && (chars[end].is_ascii_digit() || " ().-+".contains(chars[end])) {
                end += 1;
            }
            let candidate: String = chars[start..end].iter().collect();
            let candidate = candidate.trim_end_matches([' ', '.', '-', '(', '+']).trim_end();
            let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
            let north_american = digits.len() == 10 || (digits.len() == 11 && digits.starts_with('1'));
            if north_american && !candidate.contains("  ") {
                return Some(candidate.to_owned());
            }
            start = end.max(start + 1);
        } else {
            start += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::WrittenContact;

    fn read(body: &str) -> (Option<String>, Option<String>) {
        let c = WrittenContact::read(body);
        (c.name.map(|n| n.to_string()), c.phone)
    }

    #[test]
    fn a_name_and_number_are_read_from_how_people_sign() {
        let some = |n: &str, p: Option<&str>| (Some(n.to_owned()), p.map(str::to_owned));
        assert_eq!(read("Furnace is out.\n\nTom, 217-555-0142"), some("Tom", Some("217-555-0142")));
        assert_eq!(read("Leak under the sink.\nThanks,\nMaria Lopez"), some("Maria Lopez", None));
        assert_eq!(
            read("Hi, my name is Dana Reyes and our AC died. Call (309) 555-0190."),
            some("Dana Reyes", Some("(309) 555-0190"))
        );
        assert_eq!(read("Need an outlet fixed\n- Jim"), some("Jim", None));
        assert_eq!(read("Me llamo Rosa Díaz, el calentador no funciona"), some("Rosa Díaz", None));
    }

    #[test]
    fn numbers_and_words_that_are_not_contacts_are_left_alone() {
        assert_eq!(read("Our ZIP is 62704-1234 and the unit is 15 years old."), (None, None));
        assert_eq!(read("Thanks,\nThe Smith family at 12 Elm St"), (None, None));
        assert_eq!(read("Please call me back.\nThanks!"), (None, None));
        assert_eq!(read("Invoice 12345678901234 was wrong"), (None, None));
        assert_eq!(read("Call 1-800-555-0100 or text +1 217 555 0142"), (None, Some("1-800-555-0100".to_owned())));
        assert_eq!(read("On Mon, Tom Ames wrote:\n> Tom, 217-555-0142"), (None, None));
    }
}
