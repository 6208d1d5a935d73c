//! What a model call costs: a price table per model id, in micro-dollars per 1,000 tokens, and
//! the exact arithmetic. Feeds run and daily budgets.

use std::collections::HashMap;

use crate::model::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Price {
    pub input_per_1k: u64,
    pub output_per_1k: u64,
    pub cache_read_per_1k: u64,
    pub cache_write_per_1k: u64,
}

#[derive(Debug, Clone, Default)]
pub struct PriceTable(HashMap<String, Price>);

impl PriceTable {
    pub fn with(mut self, model_id: &str, price: Price) -> Self {
        self.0.insert(model_id.to_owned(), price);
        self
    }

    /// The priced models, by id.
    pub fn models(&self) -> Vec<(&str, Price)> {
        let mut models: Vec<(&str, Price)> = self.0.iter().map(|(id, price)| (id.as_str(), *price)).collect();
        models.sort_by_key(|(id, _)| *id);
        models
    }

    /// Whether calls to `model_id` can be billed.
    pub fn has(&self, model_id: &str) -> bool {
        self.0.contains_key(model_id)
    }

    /// The cost of one call in micro-dollars, rounded up to the next micro-dollar so budgets are
    /// never undercounted. A model without a price costs nothing (the offline model).
    pub fn cost_micros(&self, model_id: &str, usage: &Usage) -> u64 {
        let Some(price) = self.0.get(model_id) else { return 0 };
        let parts = [
            (usage.input_tokens, price.input_per_1k),
            (usage.output_tokens, price.output_per_1k),
            (usage.cache_read_tokens, price.cache_read_per_1k),
            (usage.cache_write_tokens, price.cache_write_per_1k),
        ];
        let milli: u128 = parts.iter().map(|(tokens, per_1k)| u128::from(*tokens) * u128::from(*per_1k)).sum();
        u64::try_from(milli.div_ceil(1000)).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_exact_and_round_up() {
        // $0.80 / $4.00 per million input / output tokens = 800 / 4000 micro-dollars per 1k.
        let table = PriceTable::default().with(
            "haiku",
            Price { input_per_1k: 800, output_per_1k: 4000, cache_read_per_1k: 80, cache_write_per_1k: 1000 },
        );
        let usage = Usage { input_tokens: 1500, output_tokens: 250, cache_read_tokens: 2000, cache_write_tokens: 0 };
        assert_eq!(table.cost_micros("haiku", &usage), 1200 + 1000 + 160);
        assert_eq!(table.cost_micros("haiku", &Usage { input_tokens: 1, ..Usage::default() }), 1, "0.8 rounds up");
        assert_eq!(table.cost_micros("offline-rules-v1", &usage), 0);
    }
}
