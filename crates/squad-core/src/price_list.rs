//! What the shop sells, as the agents are told it: each kind of work on its price list with the
//! services that sell it. It travels in a system block of its own (after the agent's prompt, with
//! a cache point, so a provider caches it), and Lead Response's `qualify_lead` tool takes one of
//! its keys as the `service`.
//!
//! Its text comes from the owner's price list and the work catalogue, never from a customer.

use domain::work::{self, Trade};
use serde::{Deserialize, Serialize};

use crate::model::SystemBlock;

/// The first line of the price list's system block.
const HEADING: &str = "The shop's price list. Each line is one kind of work it sells: `key` (what qualify_lead's \
                       `service` takes), its trade, its name and the services on the price list for it.";

/// One kind of work the shop sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// A work-catalogue key (`domain::work`) or one of the shop's own (`shop_…`).
    pub key: String,
    pub trade: Trade,
    /// The kind's name ("EV chargers").
    pub name: String,
    /// The names of the services on the price list for it ("Level 2 EV charger install").
    pub services: Vec<String>,
    /// The words customers use for a kind of the shop's own (a catalogue kind's are built in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceList {
    pub offers: Vec<Offer>,
}

impl PriceList {
    /// The price list of `services` (name and kind key of each active service), with the shop's own
    /// kinds. A service whose kind is neither in the catalogue nor among `own` is left out: the
    /// squad could not recognise it.
    pub fn new<'a>(services: impl IntoIterator<Item = (&'a str, &'a str)>, own: &[work::ShopKind]) -> Self {
        let mut offers: Vec<Offer> = Vec::new();
        for (service, key) in services {
            if let Some(offer) = offers.iter_mut().find(|o| o.key == key) {
                offer.services.push(service.to_owned());
                continue;
            }
            let offer = if let Some(kind) = work::find(key) {
                Offer {
                    key: key.to_owned(),
                    trade: kind.trade,
                    name: kind.name.to_owned(),
                    services: vec![service.to_owned()],
                    words: Vec::new(),
                }
            } else if let Some(kind) = own.iter().find(|k| k.key == key) {
                Offer {
                    key: key.to_owned(),
                    trade: kind.trade,
                    name: kind.name.clone(),
                    services: vec![service.to_owned()],
                    words: kind.words.clone(),
                }
            } else {
                continue;
            };
            offers.push(offer);
        }
        offers.sort_by(|a, b| a.key.cmp(&b.key));
        Self { offers }
    }

    /// A price list of catalogue kinds, one service each named as the kind (tests and evals).
    pub fn of_kinds<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let named: Vec<(&str, &str)> =
            keys.into_iter().filter_map(|key| work::find(key).map(|kind| (kind.name, kind.key))).collect();
        Self::new(named, &[])
    }

    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.offers.iter().map(|o| o.key.as_str())
    }

    pub fn sells(&self, key: &str) -> bool {
        self.offers.iter().any(|o| o.key == key)
    }

    pub fn offer(&self, key: &str) -> Option<&Offer> {
        self.offers.iter().find(|o| o.key == key)
    }

    /// The trades the shop works in, in catalogue order.
    pub fn trades(&self) -> Vec<Trade> {
        Trade::ALL.iter().copied().filter(|t| self.offers.iter().any(|o| o.trade == *t)).collect()
    }

    /// The system block the agents read it in; none for an empty price list.
    pub fn to_system_block(&self) -> Option<SystemBlock> {
        if self.offers.is_empty() {
            return None;
        }
        let mut text = HEADING.to_owned();
        for offer in &self.offers {
            text.push('\n');
            text.push_str(&serde_json::to_string(offer).unwrap_or_default());
        }
        Some(SystemBlock { text, cache_point: true })
    }

    /// Reads the price list back from a request's system blocks (the offline model reads what an
    /// LLM would).
    pub fn read(system: &[SystemBlock]) -> Self {
        let offers = system
            .iter()
            .filter(|block| block.text.starts_with(HEADING))
            .flat_map(|block| block.text.lines().skip(1))
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        Self { offers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_grouped_by_kind_and_read_back_from_the_prompt() {
        let pool = work::ShopKind::new("Pool heater", Trade::Plumbing, &["spa heater".to_owned()]).unwrap();
        let list = PriceList::new(
            [
                ("Level 2 EV charger install", "ev_charger"),
                ("Pool heater repair", "shop_pool_heater"),
                ("Tesla wall connector", "ev_charger"),
                ("Séance", "shop_unknown"),
            ],
            &[pool],
        );
        assert_eq!(list.keys().collect::<Vec<_>>(), ["ev_charger", "shop_pool_heater"]);
        assert_eq!(list.offer("ev_charger").unwrap().services, ["Level 2 EV charger install", "Tesla wall connector"]);
        assert_eq!(list.offer("shop_pool_heater").unwrap().words, ["pool heater", "spa heater"]);
        assert_eq!(list.trades(), [Trade::Plumbing, Trade::Electrical]);
        let block = list.to_system_block().unwrap();
        assert!(block.cache_point);
        let other = SystemBlock { text: "You are Lead Response.".into(), cache_point: true };
        assert_eq!(PriceList::read(&[other, block]), list);
        assert!(PriceList::default().to_system_block().is_none());
    }
}
