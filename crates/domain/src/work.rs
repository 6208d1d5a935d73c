//! The work catalogue: the kinds of work small HVAC, plumbing and electrical shops sell, each with
//! the words customers use for it (English and Spanish), what makes it urgent, and the skill a
//! technician needs for it. A shop's price list points its services at these kinds; the squad
//! recognises an inquiry by them.
//!
//! Keys are stable: services, technicians' skills and stored leads refer to them.

use serde::Serialize;

text_enum! {
    /// The three trades Opsquad serves.
    Trade { Hvac => "hvac", Plumbing => "plumbing", Electrical => "electrical" }
}

impl Trade {
    /// How a shop owner names the trade.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hvac => "Heating & cooling",
            Self::Plumbing => "Plumbing",
            Self::Electrical => "Electrical",
        }
    }
}

/// One kind of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkKind {
    /// Stable key, e.g. `ev_charger`.
    pub key: &'static str,
    pub trade: Trade,
    /// What a shop owner calls it.
    pub name: &'static str,
    /// Words and phrases customers use for it, lower case, English then Spanish.
    pub words: &'static [&'static str],
    /// What in a customer's message makes this work urgent.
    pub urgent_when: &'static [&'static str],
    /// The skill a technician needs to be sent for it.
    pub skill: &'static str,
}

const fn kind(
    key: &'static str,
    trade: Trade,
    name: &'static str,
    words: &'static [&'static str],
    urgent_when: &'static [&'static str],
) -> WorkKind {
    WorkKind { key, trade, name, words, urgent_when, skill: key }
}

use Trade::{Electrical, Hvac, Plumbing};

/// Every kind of work the catalogue knows, grouped by trade.
pub const CATALOGUE: &[WorkKind] = &[
    // Heating and cooling.
    kind(
        "furnace_repair",
        Hvac,
        "Heating / furnace repair",
        &[
            "furnace",
            "no heat",
            "heater not working",
            "heating",
            "pilot light",
            "calefacción",
            "calefaccion",
            "sin calefacción",
            "horno",
        ],
        &["no heat", "freezing", "gas smell", "carbon monoxide", "co alarm", "baby", "newborn", "elderly"],
    ),
    kind(
        "ac_repair",
        Hvac,
        "Air conditioning repair",
        &[
            "air conditioner",
            "air conditioning",
            "a/c",
            "ac not cooling",
            "central air",
            "warm air",
            "aire acondicionado",
            "no enfría",
            "no enfria",
        ],
        &["no ac", "heat wave", "over 90", "elderly", "medical"],
    ),
    kind(
        "hvac_maintenance",
        Hvac,
        "Heating & cooling tune-up",
        &[
            "tune-up",
            "tune up",
            "maintenance",
            "annual service",
            "seasonal check",
            "mantenimiento",
            "revisión anual",
            "ac check",
            "furnace check",
            "spring check",
            "fall check",
        ],
        &[],
    ),
    kind(
        "hvac_install",
        Hvac,
        "New system / replacement",
        &[
            "new furnace",
            "new ac",
            "new system",
            "replace my furnace",
            "replacement",
            "install a new unit",
            "sistema nuevo",
            "reemplazar",
        ],
        &[],
    ),
    kind(
        "heat_pump",
        Hvac,
        "Heat pump service",
        &["heat pump", "defrost mode", "emergency heat", "aux heat", "bomba de calor"],
        &["no heat", "freezing"],
    ),
    kind(
        "boiler_repair",
        Hvac,
        "Boiler & radiator service",
        &["boiler", "radiator", "radiant heat", "hydronic", "baseboard heat", "caldera", "radiador"],
        &["no heat", "leaking boiler", "pressure relief"],
    ),
    kind(
        "mini_split",
        Hvac,
        "Ductless mini-split",
        &["mini split", "mini-split", "ductless", "wall unit", "minisplit", "split sin ductos"],
        &[],
    ),
    kind(
        "thermostat",
        Hvac,
        "Thermostat install & repair",
        &["thermostat", "nest", "ecobee", "smart thermostat", "termostato"],
        &["blank thermostat"],
    ),
    kind(
        "ductwork",
        Hvac,
        "Ductwork & airflow",
        &["ductwork", "duct work", "ducts", "vents", "airflow", "room is always cold", "ductos", "rejillas"],
        &[],
    ),
    kind(
        "duct_cleaning",
        Hvac,
        "Duct & dryer vent cleaning",
        &["duct cleaning", "clean the ducts", "dryer vent", "lint", "limpieza de ductos"],
        &["dryer vent fire", "burning smell from the dryer"],
    ),
    kind(
        "indoor_air_quality",
        Hvac,
        "Indoor air quality",
        &[
            "air quality",
            "humidifier",
            "dehumidifier",
            "air purifier",
            "air filter",
            "allergies",
            "calidad del aire",
            "humidificador",
        ],
        &[],
    ),
    // Plumbing.
    kind(
        "water_heater",
        Plumbing,
        "Water heater",
        &[
            "water heater",
            "hot water heater",
            "no hot water",
            "wtr htr",
            "calentador",
            "boiler de agua",
            "sin agua caliente",
        ],
        &["no hot water", "leaking water heater", "gas smell", "pilot", "leaking", "leak", "leaks"],
    ),
    kind(
        "tankless_water_heater",
        Plumbing,
        "Tankless water heater",
        &["tankless", "on-demand water heater", "navien", "rinnai", "calentador sin tanque"],
        &["no hot water"],
    ),
    kind(
        "drain_cleaning",
        Plumbing,
        "Drain cleaning",
        &[
            "clogged drain",
            "clog",
            "slow drain",
            "backed up",
            "drain",
            "hydro jetting",
            "destapar",
            "drenaje tapado",
            "drenaje",
            "tapado",
            "tapada",
            "desagüe",
            "no drena",
            "drena",
        ],
        &["backing up", "overflowing", "only toilet"],
    ),
    kind(
        "leak_repair",
        Plumbing,
        "Leaks and pipes",
        &[
            "leak",
            "leaking pipe",
            "burst pipe",
            "dripping",
            "water in the ceiling",
            "through the ceiling",
            "through my ceiling",
            "through our ceiling",
            "coming through the",
            "coming through",
            "pouring through",
            "frozen pipe",
            "fuga",
            "tubería rota",
            "gotea",
        ],
        &["burst", "flooding", "water everywhere", "pouring", "ceiling"],
    ),
    kind(
        "sewer_line",
        Plumbing,
        "Sewer line repair & camera inspection",
        &[
            "sewer line",
            "main line",
            "sewer camera",
            "sewer smell",
            "roots in the line",
            "línea de drenaje",
            "alcantarillado",
        ],
        &["sewage backup", "sewage in the basement", "raw sewage"],
    ),
    kind(
        "sump_pump",
        Plumbing,
        "Sump pump",
        &["sump pump", "sump", "basement pump", "bomba de sumidero"],
        &["basement flooding", "water rising", "storm", "almost full", "pit is full", "overflowing"],
    ),
    kind(
        "toilet_repair",
        Plumbing,
        "Toilet repair & install",
        &["toilet", "running toilet", "toilet won't flush", "new toilet", "inodoro", "baño tapado"],
        &["overflowing", "overflowed", "only toilet"],
    ),
    kind(
        "faucet_fixture",
        Plumbing,
        "Faucets, sinks & fixtures",
        &["faucet", "sink", "shower valve", "tub", "fixture", "spigot", "hose bib", "llave", "grifo", "lavabo"],
        &[],
    ),
    kind(
        "garbage_disposal",
        Plumbing,
        "Garbage disposal",
        &["garbage disposal", "disposal", "insinkerator", "triturador"],
        &[],
    ),
    kind(
        "gas_line",
        Plumbing,
        "Gas line",
        &["gas line", "gas pipe", "gas hookup", "gas stove hookup", "línea de gas", "tubería de gas"],
        &["gas smell", "smell gas", "hissing"],
    ),
    kind(
        "repiping",
        Plumbing,
        "Repiping",
        &["repipe", "repiping", "galvanized pipes", "polybutylene", "old pipes", "cambiar tuberías"],
        &[],
    ),
    kind(
        "water_treatment",
        Plumbing,
        "Water softener & filtration",
        &[
            "water softener",
            "hard water",
            "water filter",
            "reverse osmosis",
            "well water",
            "suavizador de agua",
            "filtro de agua",
        ],
        &[],
    ),
    kind(
        "backflow_testing",
        Plumbing,
        "Backflow testing",
        &["backflow", "backflow test", "rpz", "backflow preventer", "prueba de reflujo"],
        &[],
    ),
    // Electrical.
    kind(
        "outlets_switches",
        Electrical,
        "Outlets & switches",
        &[
            "outlet",
            "outlets",
            "switch",
            "gfci",
            "plug",
            "receptacle",
            "usb outlet",
            "enchufe",
            "tomacorriente",
            "interruptor",
            "switches",
            "dimmer",
            "dimmers",
            "enchufes",
            "outlets stopped working",
            "kitchen outlets",
            "bathroom outlets",
            "garage outlets",
            "outlets in the",
            "outlet in the",
        ],
        &["sparking outlet", "burning smell", "hot outlet", "scorch"],
    ),
    kind(
        "lighting",
        Electrical,
        "Lighting & fixtures",
        &[
            "light fixture",
            "lights",
            "recessed lighting",
            "can lights",
            "chandelier",
            "outdoor lighting",
            "landscape lighting",
            "luces",
            "lámpara",
            "iluminación",
            "ceiling light",
            "add a light",
            "new light",
            "exhaust fan",
            "bathroom fan",
            "bath fan",
            "porch light",
            "outdoor light",
            "exterior light",
        ],
        &[],
    ),
    kind(
        "ceiling_fan",
        Electrical,
        "Ceiling fans",
        &[
            "ceiling fan",
            "fan install",
            "fan wobbles",
            "ventilador de techo",
            "ceiling fans",
            "fan hums",
            "fan wont spin",
            "fan in ceiling",
            "fan won t spin",
        ],
        &[],
    ),
    kind(
        "electrical_repair",
        Electrical,
        "Electrical troubleshooting",
        &[
            "flickering lights",
            "lights flicker",
            "power out in",
            "half the house",
            "no power",
            "electrical problem",
            "se fue la luz",
            "lights dim",
            "flicker",
            "outlets dead",
            "dead outlets",
            "power went out",
            "power to the",
            "lights flickering",
            "lights and outlets",
            "outlets and lights",
            "power is out",
            "power s out",
            "no electricity",
            "lost power in",
        ],
        &["sparks", "burning smell", "smoke", "shock", "buzzing", "no power"],
    ),
    kind(
        "panel_repair",
        Electrical,
        "Panel & breaker service",
        &[
            "breaker",
            "tripping",
            "keeps tripping",
            "breaker box",
            "fuse box",
            "electrical panel",
            "panel",
            "fuse",
            "breaker caliente",
            "caja de fusibles",
            "breaker wont reset",
            "breaker won t reset",
            "from the panel",
            "lights flickering all over",
            "meter base",
            "meter socket",
            "one leg",
            "no se queda arriba",
        ],
        &["hot panel", "burning smell", "buzzing panel", "buzzing", "sparks", "lost power"],
    ),
    kind(
        "panel_upgrade",
        Electrical,
        "Panel upgrade",
        &[
            "panel upgrade",
            "upgrade my panel",
            "200 amp",
            "100 amp",
            "service upgrade",
            "federal pacific",
            "zinsco",
            "cambiar el panel",
            "replace our fuse box",
            "replace the fuse box",
            "with a breaker panel",
            "breaker panel",
            "fuse box replaced",
            "fuse panel replaced",
            "200 amps",
            "100 amps",
            "150 amp",
            "150 amps",
            "upgrade the panel",
            "upgrade our panel",
            "panel upgraded",
        ],
        &[],
    ),
    kind(
        "rewiring",
        Electrical,
        "Rewiring",
        &["rewire", "rewiring", "knob and tube", "aluminum wiring", "old wiring", "recablear", "cableado viejo"],
        &[],
    ),
    kind(
        "dedicated_circuit",
        Electrical,
        "New circuits",
        &[
            "new circuit",
            "dedicated circuit",
            "240v",
            "220 outlet",
            "hot tub wiring",
            "circuit for",
            "amp circuit",
            "circuit run",
            "circuit to the",
            "circuito nuevo",
            "240 outlet",
            "240 volt",
            "240v outlet",
            "electric range",
            "run power",
            "power to my shed",
            "shed",
            "new circuits",
            "amp circuits",
            "circuits for",
            "welder",
            "220v",
            "220 volt",
        ],
        &[],
    ),
    kind(
        "generator",
        Electrical,
        "Generators",
        &["generator", "standby generator", "generac", "transfer switch", "generador"],
        &["power outage", "medical equipment"],
    ),
    kind(
        "ev_charger",
        Electrical,
        "EV chargers",
        &[
            "ev charger",
            "level 2 charger",
            "car charger",
            "tesla charger",
            "wall connector",
            "nema 14-50",
            "cargador para auto",
            "cargador eléctrico",
            "cargador",
            "carro eléctrico",
            "auto eléctrico",
            "coche eléctrico",
            "cargadores",
            "carros eléctricos",
            "autos eléctricos",
            "coches eléctricos",
        ],
        &[],
    ),
    kind(
        "surge_protection",
        Electrical,
        "Surge protection",
        &["surge protector", "whole house surge", "surge protection", "lightning", "protector de sobretensión"],
        &[],
    ),
    kind(
        "smoke_co_detectors",
        Electrical,
        "Smoke & CO detectors",
        &[
            "smoke detector",
            "smoke alarm",
            "co detector",
            "carbon monoxide detector",
            "chirping",
            "detector de humo",
            "smoke alarms",
            "smoke detectors",
            "co detectors",
            "carbon monoxide detectors",
        ],
        &["alarm going off", "going off", "keep going off", "carbon monoxide"],
    ),
    kind(
        "electrical_inspection",
        Electrical,
        "Electrical inspection",
        &[
            "electrical inspection",
            "home inspection",
            "safety inspection",
            "inspection report",
            "inspección eléctrica",
            "inspection of the electrical",
            "pre listing inspection",
        ],
        &[],
    ),
];

/// The kind of work with this key.
pub fn find(key: &str) -> Option<&'static WorkKind> {
    CATALOGUE.iter().find(|kind| kind.key == key)
}

/// A kind of work's name for people: the catalogue's, or a shop's own kind read from its key
/// (`shop_pool_heater`: "Pool heater").
pub fn name_of(key: &str) -> String {
    if let Some(kind) = find(key) {
        return kind.name.to_owned();
    }
    let words = key.strip_prefix(SHOP_PREFIX).unwrap_or(key).replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The catalogue's kinds of one trade.
pub fn of_trade(trade: Trade) -> impl Iterator<Item = &'static WorkKind> {
    CATALOGUE.iter().filter(move |kind| kind.trade == trade)
}

/// A shop's own kinds of work have keys that start with this; no catalogue key does.
pub const SHOP_PREFIX: &str = "shop_";

/// A kind of work a shop defines for itself (a pool heater, a septic pump-out): its own name, trade
/// and the words its customers use. It is matched and booked like a catalogue kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ShopKind {
    /// `shop_` and the name in lower case with underscores, e.g. `shop_pool_heater`.
    pub key: String,
    pub trade: Trade,
    pub name: String,
    pub words: Vec<String>,
}

/// Why a shop's kind of work cannot be saved; `field` names the service field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopKindError {
    pub field: &'static str,
    pub message: String,
}

impl ShopKind {
    /// A shop kind from what the owner wrote: a name (2–60 characters with at least one letter
    /// from a to z), its trade and up to 30 words or phrases (each 2–60 characters). Neither holds
    /// control characters. Words are matched in lower case; the name is always one of them.
    pub fn new(name: &str, trade: Trade, words: &[String]) -> Result<Self, ShopKindError> {
        let err = |field, message: &str| ShopKindError { field, message: message.to_owned() };
        // Blank characters around the text are ignored (the API's schema allows them); control
        // characters inside it are not.
        let trimmed =
            |raw: &str| raw.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)).to_owned();
        let fits = |raw: &str| {
            let inner = trimmed(raw);
            raw.chars().count() <= 60 && inner.chars().count() >= 2 && !inner.chars().any(char::is_control)
        };
        if !fits(name) || !name.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(err("kind_name", "name the kind of work in 2 to 60 characters, with at least one letter"));
        }
        let name = trimmed(name).split_whitespace().collect::<Vec<_>>().join(" ");
        if words.len() > 30 {
            return Err(err("words", "at most 30 words or phrases"));
        }
        let mut kept: Vec<String> = vec![name.to_lowercase()];
        for word in words {
            if !fits(word) {
                return Err(err("words", "each word or phrase needs 2 to 60 characters"));
            }
            let word = trimmed(word).split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            if !kept.contains(&word) {
                kept.push(word);
            }
        }
        let slug: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        let mut key = format!("{SHOP_PREFIX}{slug}");
        key.truncate(40);
        let key = key.trim_end_matches('_').to_owned();
        Ok(Self { key, trade, name, words: kept })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_kind_is_well_formed_and_unique() {
        let mut keys = HashSet::new();
        for kind in CATALOGUE {
            assert!(keys.insert(kind.key), "{} twice", kind.key);
            assert!(crate::catalog::parse_skill(kind.key).is_ok_and(|k| k == kind.key), "{}", kind.key);
            assert!(!kind.name.is_empty() && kind.words.len() >= 3, "{}", kind.key);
            for word in kind.words.iter().chain(kind.urgent_when) {
                assert_eq!(*word, word.to_lowercase(), "{}: `{word}` is matched lower-cased", kind.key);
            }
        }
    }

    #[test]
    fn all_three_trades_are_covered_broadly() {
        for trade in Trade::ALL {
            assert!(of_trade(*trade).count() >= 10, "{trade}");
        }
        assert!(CATALOGUE.len() >= 36);
        for key in ["outlets_switches", "lighting", "ceiling_fan", "panel_repair", "panel_upgrade", "rewiring"] {
            assert_eq!(find(key).map(|k| k.trade), Some(Trade::Electrical), "{key}");
        }
        for key in ["generator", "ev_charger", "surge_protection", "smoke_co_detectors", "electrical_inspection"] {
            assert_eq!(find(key).map(|k| k.trade), Some(Trade::Electrical), "{key}");
        }
    }

    #[test]
    fn a_shop_kind_gets_a_key_of_its_own_and_keeps_its_words() {
        let words = vec!["Spa heater ".to_owned(), "hot  tub heater".to_owned(), "spa heater".to_owned()];
        let kind = ShopKind::new(" Pool   heater ", Trade::Plumbing, &words).unwrap();
        assert_eq!(kind.key, "shop_pool_heater");
        assert_eq!(kind.name, "Pool heater");
        assert_eq!(kind.words, ["pool heater", "spa heater", "hot tub heater"]);
        assert!(crate::catalog::parse_skill(&kind.key).is_ok_and(|k| k == kind.key));
        assert!(CATALOGUE.iter().all(|k| !k.key.starts_with(SHOP_PREFIX)));
        let long = ShopKind::new(&"Very long name ".repeat(4), Trade::Hvac, &[]).unwrap();
        assert!(long.key.len() <= 40 && !long.key.ends_with('_'), "{}", long.key);
        assert_eq!(ShopKind::new("?!", Trade::Hvac, &[]).unwrap_err().field, "kind_name");
        assert_eq!(ShopKind::new("Fryer hood", Trade::Hvac, &["x".to_owned()]).unwrap_err().field, "words");
        assert_eq!(ShopKind::new("Pañal", Trade::Hvac, &[]).unwrap().key, "shop_pa_al");
        assert_eq!(ShopKind::new("Ñ1", Trade::Hvac, &[]).unwrap_err().field, "kind_name");
        assert_eq!(ShopKind::new("Fan\u{7}", Trade::Hvac, &[]).unwrap_err().field, "kind_name");
        assert_eq!(ShopKind::new("Fan\u{7}x", Trade::Hvac, &[]).unwrap_err().field, "kind_name");
        let padded =
            ShopKind::new("\n\t Attic fan \u{1f}\r", Trade::Hvac, &["\u{b} whole house fan \n".to_owned()]).unwrap();
        assert_eq!((padded.name.as_str(), padded.words[1].as_str()), ("Attic fan", "whole house fan"));
    }

    #[test]
    fn the_first_seven_keys_stay_what_services_already_use() {
        let first = ["furnace_repair", "ac_repair", "hvac_maintenance", "hvac_install"];
        for key in first.into_iter().chain(["water_heater", "drain_cleaning", "leak_repair"]) {
            assert!(find(key).is_some(), "{key}");
        }
    }
}
