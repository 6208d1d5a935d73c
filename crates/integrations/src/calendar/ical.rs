//! The little of iCalendar (RFC 5545) a technician's calendar needs: an event written for a booked
//! visit, and the busy periods a free-busy answer lists. Times are exchanged in UTC only.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::Event;

/// `20261207T150000Z`, iCalendar's UTC form.
pub(crate) fn utc_stamp(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().format("%Y%m%dT%H%M%SZ").to_string()
}

fn parse_utc(value: &str) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(value.strip_suffix('Z')?, "%Y%m%dT%H%M%S").ok()?;
    Some(naive.and_utc().timestamp_millis())
}

/// A TEXT value with its specials escaped (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at 75 octets without splitting a character, ended by CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The calendar object for `event`, stamped `now`.
pub fn event(event: &Event, now: i64) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Opsquad//Bookings//EN");
    line(&mut out, "BEGIN:VEVENT");
    line(&mut out, &format!("UID:{}", escape(&event.uid)));
    line(&mut out, &format!("DTSTAMP:{}", utc_stamp(now)));
    line(&mut out, &format!("DTSTART:{}", utc_stamp(event.starts_at)));
    line(&mut out, &format!("DTEND:{}", utc_stamp(event.ends_at)));
    line(&mut out, &format!("SUMMARY:{}", escape(&event.summary)));
    if !event.location.is_empty() {
        line(&mut out, &format!("LOCATION:{}", escape(&event.location)));
    }
    line(&mut out, &format!("DESCRIPTION:{}", escape(&event.description)));
    if !event.link.is_empty() {
        line(&mut out, &format!("URL:{}", event.link));
    }
    line(&mut out, "TRANSP:OPAQUE");
    line(&mut out, "END:VEVENT");
    line(&mut out, "END:VCALENDAR");
    out
}

/// `P1DT2H30M`, `PT45M`, `P2W`: a duration in ms (a negative one is not a busy period).
fn duration_ms(value: &str) -> Option<i64> {
    let rest = value.strip_prefix('P')?;
    let (mut total, mut number, mut in_time) = (0i64, String::new(), false);
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() => in_time = true,
            unit => {
                let n: i64 = std::mem::take(&mut number).parse().ok()?;
                let seconds = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(seconds * 1000)?)?;
            }
        }
    }
    number.is_empty().then_some(total)
}

/// The busy periods, `[start, end)` in Unix ms, that the FREEBUSY properties of a free-busy answer
/// list; periods marked FREE are left out. Whatever cannot be read makes the whole answer unreadable
/// (`None`): a period silently skipped would be a time offered over something.
pub fn busy_periods(body: &str) -> Option<Vec<(i64, i64)>> {
    let unfolded = body.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "").replace("\n\t", "");
    let mut busy = Vec::new();
    for raw in unfolded.lines() {
        let Some((name_params, value)) = raw.trim_end_matches('\r').split_once(':') else { continue };
        let mut parts = name_params.split(';');
        if !parts.next().is_some_and(|name| name.eq_ignore_ascii_case("FREEBUSY")) {
            continue;
        }
        let free = parts.any(|p| p.eq_ignore_ascii_case("FBTYPE=FREE"));
        for period in value.split(',') {
            let (start, end) = period.trim().split_once('/')?;
            let start = parse_utc(start)?;
            let end = match parse_utc(end) {
                Some(end) => end,
                None => start + duration_ms(end)?,
            };
            if !free && end > start {
                busy.push((start, end));
            }
        }
    }
    busy.sort_unstable();
    Some(busy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        parse_utc(s).unwrap()
    }

    #[test]
    fn reads_busy_periods_in_both_forms_and_leaves_free_ones_out() {
        let body = "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nDTSTART:20261201T000000Z\r\n\
                    FREEBUSY;FBTYPE=BUSY:20261207T150000Z/20261207T160000Z\r\n\
                    FREEBUSY:20261208T150000Z/PT1H30M,20261209T090000Z/P1D\r\n\
                    FREEBUSY;FBTYPE=FREE:20261210T150000Z/20261210T160000Z\r\n\
                    FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261211T15000\r\n 0Z/20261211T160000Z\r\n\
                    END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            busy_periods(body).unwrap(),
            vec![
                (utc("20261207T150000Z"), utc("20261207T160000Z")),
                (utc("20261208T150000Z"), utc("20261208T163000Z")),
                (utc("20261209T090000Z"), utc("20261210T090000Z")),
                (utc("20261211T150000Z"), utc("20261211T160000Z")),
            ],
            "a tentative hold is busy too; a folded line is read whole"
        );
        assert_eq!(busy_periods("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), Some(vec![]), "nothing on is nothing busy");
    }

    #[test]
    fn a_period_it_cannot_read_makes_the_answer_unreadable() {
        assert_eq!(busy_periods("FREEBUSY:20261207T150000/20261207T160000Z\r\n"), None, "a floating time");
        assert_eq!(busy_periods("FREEBUSY:20261207T150000Z/PT1X\r\n"), None);
        assert_eq!(busy_periods("FREEBUSY:20261207T150000Z\r\n"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms("PT45M"), Some(45 * 60_000));
        assert_eq!(duration_ms("P2W"), Some(14 * 86_400_000));
        assert_eq!(duration_ms("P1DT1S"), Some(86_401_000));
        assert_eq!(duration_ms("P1H"), None, "hours belong after T");
        assert_eq!(duration_ms("PT"), Some(0));
    }

    #[test]
    fn an_event_escapes_customer_text_and_folds_long_lines() {
        let written = event(
            &Event {
                uid: "opsquad-1".into(),
                summary: "Furnace repair — Jo; \"no heat\", again".into(),
                description:
                    "Line one\nLine two with a very long text that goes on and on past the seventy-five octet limit"
                        .into(),
                location: "12 Elm St, Springfield".into(),
                link: "https://shop.example/leads/1".into(),
                starts_at: utc("20261207T150000Z"),
                ends_at: utc("20261207T170000Z"),
            },
            utc("20261203T090000Z"),
        );
        assert!(written.contains("SUMMARY:Furnace repair — Jo\\; \"no heat\"\\, again\r\n"), "{written}");
        assert!(written.contains("LOCATION:12 Elm St\\, Springfield\r\n"));
        assert!(written.contains("DTSTART:20261207T150000Z\r\nDTEND:20261207T170000Z\r\n"));
        assert!(written.lines().all(|l| l.trim_end_matches('\r').len() <= 75), "{written}");
        assert!(
            written.contains("DESCRIPTION:Line one\\nLine two"),
            "a new line in the text is escaped, not a new property"
        );
    }
}
