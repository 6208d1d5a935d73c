//! The model interface, shaped like Bedrock's Converse API so a provider maps it without loss:
//! system blocks with cache points, messages of text / tool-use / tool-result blocks, tool specs,
//! inference settings; a response with content blocks, a stop reason and token usage.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemBlock {
    pub text: String,
    /// Cache everything up to and including this block (providers honour it only above the
    /// model's minimum cacheable length).
    pub cache_point: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text { text: String },
    ToolUse { id: String, name: String, input: Value },
    ToolResult { tool_use_id: String, content: Value, is_error: bool },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<Content>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the tool's input.
    pub input_schema: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceSettings {
    pub model_id: String,
    pub temperature: f32,
    pub max_tokens: u32,
    pub top_p: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    pub system: Vec<SystemBlock>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub settings: InferenceSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    ToolUse,
    /// Cut off: the answer is incomplete and must never be treated as final.
    MaxTokens,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResponse {
    pub content: Vec<Content>,
    pub stop_reason: StopReason,
    pub usage: Usage,
    /// The model that answered, when the provider may have fallen back from the requested one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

impl ModelResponse {
    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|c| match c {
            Content::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Throttling, 5xx, timeouts: worth retrying.
    #[error("the model is temporarily unavailable: {0}")]
    Transient(String),
    /// Validation, access denied, an unknown model: retrying cannot help.
    #[error("the model refused the request: {0}")]
    Refused(String),
}

#[async_trait]
pub trait Model: Send + Sync {
    /// A short provider name recorded with each call ("offline", "bedrock").
    fn provider(&self) -> &'static str;

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError>;

    /// The same call, telling `watcher` each watched tool call's input as it is written. A
    /// provider that cannot stream tells it once, whole, before answering.
    async fn converse_watched(
        &self,
        request: &ModelRequest,
        watcher: &dyn Watcher,
    ) -> Result<ModelResponse, ModelError> {
        let response = self.converse(request).await?;
        for (id, name, input) in response.tool_uses() {
            if watcher.watches(name) {
                watcher.tool_input(id, name, &input.to_string());
            }
        }
        Ok(response)
    }
}

/// Who follows a model call's tool inputs while the model writes them.
pub trait Watcher: Send + Sync {
    /// Whether `tool`'s input is worth telling as it is written.
    fn watches(&self, tool: &str) -> bool;

    /// Tool call `tool_use_id`'s input so far: the start of a JSON object, cut anywhere.
    fn tool_input(&self, tool_use_id: &str, tool: &str, json_so_far: &str);
}

/// The string value of the top-level `field` in the start of a JSON object (`json_so_far`, cut
/// anywhere), as far as it has been written; `None` before its value has begun.
pub fn partial_string_field(json_so_far: &str, field: &str) -> Option<String> {
    let mut chars = json_so_far.chars().peekable();
    let mut depth = 0usize;
    // At depth 1, the last string read and whether a `:` followed it (so it was a key).
    let mut key: Option<String> = None;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let (value, closed) = read_string(&mut chars);
                if depth == 1 && key.as_deref() == Some(field) {
                    return Some(value);
                }
                if !closed {
                    return None;
                }
                key = (depth == 1).then_some(value).filter(|_| next_is_colon(&mut chars));
                if key.is_some() {
                    chars.next();
                }
                continue;
            }
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            c if c.is_whitespace() => continue,
            _ => {}
        }
        key = None;
    }
    None
}

/// Reads a JSON string after its opening quote: its text so far, and whether it closed.
fn read_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> (String, bool) {
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return (out, true),
            '\\' => {
                let decoded = match chars.next() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        match u32::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 4) {
                            // A surrogate pair's halves are decoded together, once both are here.
                            Some(high @ 0xD800..=0xDBFF) => {
                                let rest: String = chars.by_ref().take(6).collect();
                                let low = rest
                                    .strip_prefix("\\u")
                                    .filter(|l| l.len() == 4)
                                    .and_then(|l| u32::from_str_radix(l, 16).ok());
                                match low
                                    .and_then(|low| char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)))
                                {
                                    Some(c) => c,
                                    None => return (out, false),
                                }
                            }
                            Some(code) => match char::from_u32(code) {
                                Some(c) => c,
                                None => return (out, false),
                            },
                            None => return (out, false),
                        }
                    }
                    Some(other) => other,
                    None => return (out, false),
                };
                out.push(decoded);
            }
            c => out.push(c),
        }
    }
    (out, false)
}

fn next_is_colon(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
    chars.peek() == Some(&':')
}

/// A rough token count for providers that do not report one (about four characters a token).
pub fn estimate_tokens(text: &str) -> u64 {
    u64::try_from(text.chars().count().div_ceil(4)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_read_from_any_cut_of_its_json() {
        let input = serde_json::json!({
            "kind": "text \"decoy\"",
            "nested": { "text": "not this one" },
            "text": "Hi Tom — \"tomorrow\" works.\nSee you 🔧 at 9\\10",
            "after": "x",
        });
        let json = input.to_string();
        let whole = input["text"].as_str().unwrap();
        let mut last = String::new();
        for (cut, _) in json.char_indices().chain([(json.len(), ' ')]) {
            let so_far = partial_string_field(&json[..cut], "text").unwrap_or_default();
            assert!(whole.starts_with(&so_far), "{so_far:?} at {cut}");
            assert!(so_far.len() >= last.len(), "it never shrinks");
            last = so_far;
        }
        assert_eq!(last, whole);
        // ASCII escapes of non-ASCII text, surrogate pairs included.
        assert_eq!(partial_string_field(r#"{"text":"caf\u00e9 \ud83d\udd27"}"#, "text").unwrap(), "café 🔧");
        assert_eq!(partial_string_field(r#"{"text":"caf\u00"#, "text").unwrap(), "caf");
        assert_eq!(partial_string_field(r#"{"text""#, "text"), None);
        assert_eq!(partial_string_field(r#"{"other":"text"}"#, "text"), None);
    }
}
