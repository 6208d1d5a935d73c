//! Prompt caching: Bedrock creates a cache checkpoint only when the prompt prefix before it
//! reaches the model's minimum, and the minimum differs per model family. Below it a cache point
//! only costs request bytes, so the provider sends one only when the prefix is long enough.
//!
//! Minimums per checkpoint, from the Amazon Bedrock User Guide, "Prompt caching for faster model
//! inference", table "Supported models, regions, and limits":
//! - Claude 3.7 Sonnet, Claude Sonnet 4 / 4.5, Claude Opus 4 / 4.1: 1,024 tokens
//! - Claude 3.5 Haiku: 2,048 tokens
//! - Claude Haiku 4.5, Claude Opus 4.5: 4,096 tokens
//! - Amazon Nova Micro, Lite, Pro, Premier: 1,000 tokens
//!
//! A model not listed gets no cache points at all (it may not support caching).

/// The minimum cacheable prefix for `model_id`, in tokens, if the model supports caching.
pub fn minimum_tokens(model_id: &str) -> Option<u64> {
    // Inference-profile ids carry a region prefix ("us.", "eu.", "global."); match on the rest.
    let id = model_id.to_ascii_lowercase();
    let family = [
        ("claude-3-5-haiku", 2_048),
        ("claude-haiku-4-5", 4_096),
        ("claude-opus-4-5", 4_096),
        ("claude-3-7-sonnet", 1_024),
        ("claude-sonnet-4", 1_024),
        ("claude-opus-4", 1_024),
        ("nova-micro", 1_000),
        ("nova-lite", 1_000),
        ("nova-pro", 1_000),
        ("nova-premier", 1_000),
    ];
    family.iter().find(|(name, _)| id.contains(name)).map(|(_, min)| *min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimums_differ_per_family_and_ignore_region_prefixes() {
        assert_eq!(minimum_tokens("anthropic.claude-3-5-haiku-20241022-v1:0"), Some(2_048));
        assert_eq!(minimum_tokens("us.anthropic.claude-3-7-sonnet-20250219-v1:0"), Some(1_024));
        assert_eq!(minimum_tokens("global.anthropic.claude-haiku-4-5-20251001-v1:0"), Some(4_096));
        assert_eq!(minimum_tokens("anthropic.claude-opus-4-5-20251101-v1:0"), Some(4_096));
        assert_eq!(minimum_tokens("anthropic.claude-opus-4-1-20250805-v1:0"), Some(1_024));
        assert_eq!(minimum_tokens("amazon.nova-lite-v1:0"), Some(1_000));
        assert_eq!(minimum_tokens("meta.llama3-70b-instruct-v1:0"), None);
    }
}
