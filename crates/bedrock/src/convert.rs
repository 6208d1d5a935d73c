//! The squad's Converse-shaped request and response to and from the SDK's types, both ways and
//! without loss: text, tool use with its input, tool results (JSON or text, error or not), tool
//! specs with their JSON schemas, inference settings, cache points, stop reasons and usage.

use aws_sdk_bedrockruntime::types::{
    self as bedrock, CachePointBlock, CachePointType, ContentBlock, ConversationRole, InferenceConfiguration,
    SystemContentBlock, Tool, ToolConfiguration, ToolInputSchema, ToolResultBlock, ToolResultContentBlock,
    ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use squad_core::model::{
    estimate_tokens, Content, Message, ModelError, ModelRequest, ModelResponse, Role, StopReason, Usage,
};

use crate::caching;
use crate::document::{to_document, to_value};

/// Everything a Converse or ConverseStream call carries besides the model id.
#[derive(Debug, Clone)]
pub struct ConverseParts {
    pub system: Vec<SystemContentBlock>,
    pub messages: Vec<bedrock::Message>,
    pub tool_config: Option<ToolConfiguration>,
    pub inference: InferenceConfiguration,
    /// How many cache points were placed (system, tools).
    pub cache_points: usize,
}

fn refused(what: impl std::fmt::Display) -> ModelError {
    ModelError::Refused(format!("the request could not be built: {what}"))
}

fn cache_point() -> Result<CachePointBlock, ModelError> {
    CachePointBlock::builder().r#type(CachePointType::Default).build().map_err(refused)
}

/// Builds the request for `model_id`. Cache points go where the squad asked for them, and only
/// when the prefix they close reaches the model's minimum: the tool definitions come first in
/// the cached prefix, then the system prompt.
pub fn request_parts(request: &ModelRequest, model_id: &str) -> Result<ConverseParts, ModelError> {
    let minimum = caching::minimum_tokens(model_id);
    let mut cache_points = 0;

    let mut tools = Vec::with_capacity(request.tools.len() + 1);
    let mut tool_tokens = 0;
    for spec in &request.tools {
        tool_tokens += estimate_tokens(&spec.name)
            + estimate_tokens(&spec.description)
            + estimate_tokens(&spec.input_schema.to_string());
        let specification = ToolSpecification::builder()
            .name(&spec.name)
            .description(&spec.description)
            .input_schema(ToolInputSchema::Json(to_document(&spec.input_schema)))
            .build()
            .map_err(refused)?;
        tools.push(Tool::ToolSpec(specification));
    }
    if !tools.is_empty() && minimum.is_some_and(|min| tool_tokens >= min) {
        tools.push(Tool::CachePoint(cache_point()?));
        cache_points += 1;
    }

    let mut system = Vec::with_capacity(request.system.len() + 1);
    let mut prefix_tokens = tool_tokens;
    for block in &request.system {
        prefix_tokens += estimate_tokens(&block.text);
        system.push(SystemContentBlock::Text(block.text.clone()));
        if block.cache_point && minimum.is_some_and(|min| prefix_tokens >= min) {
            system.push(SystemContentBlock::CachePoint(cache_point()?));
            cache_points += 1;
        }
    }

    let messages = request.messages.iter().map(message).collect::<Result<Vec<_>, _>>()?;
    let tool_config = if tools.is_empty() {
        None
    } else {
        Some(ToolConfiguration::builder().set_tools(Some(tools)).build().map_err(refused)?)
    };
    let settings = &request.settings;
    let inference = InferenceConfiguration::builder()
        .max_tokens(i32::try_from(settings.max_tokens).unwrap_or(i32::MAX))
        .temperature(settings.temperature)
        .top_p(settings.top_p)
        .build();
    Ok(ConverseParts { system, messages, tool_config, inference, cache_points })
}

fn message(message: &Message) -> Result<bedrock::Message, ModelError> {
    let role = match message.role {
        Role::User => ConversationRole::User,
        Role::Assistant => ConversationRole::Assistant,
    };
    let content = message.content.iter().map(content_block).collect::<Result<Vec<_>, _>>()?;
    bedrock::Message::builder().role(role).set_content(Some(content)).build().map_err(refused)
}

fn content_block(content: &Content) -> Result<ContentBlock, ModelError> {
    Ok(match content {
        Content::Text { text } => ContentBlock::Text(text.clone()),
        Content::ToolUse { id, name, input } => ContentBlock::ToolUse(
            ToolUseBlock::builder().tool_use_id(id).name(name).input(to_document(input)).build().map_err(refused)?,
        ),
        Content::ToolResult { tool_use_id, content, is_error } => {
            // Converse takes a JSON result only as an object; anything else travels as text.
            let block = match content {
                serde_json::Value::Object(_) => ToolResultContentBlock::Json(to_document(content)),
                serde_json::Value::String(text) => ToolResultContentBlock::Text(text.clone()),
                other => ToolResultContentBlock::Text(other.to_string()),
            };
            let status = if *is_error { ToolResultStatus::Error } else { ToolResultStatus::Success };
            ContentBlock::ToolResult(
                ToolResultBlock::builder()
                    .tool_use_id(tool_use_id)
                    .content(block)
                    .status(status)
                    .build()
                    .map_err(refused)?,
            )
        }
    })
}

/// The model's content blocks in the squad's terms. Blocks the squad does not use (reasoning,
/// citations) are dropped; a tool result from the model would be a protocol error.
pub fn response_content(blocks: &[ContentBlock]) -> Result<Vec<Content>, ModelError> {
    let mut content = Vec::with_capacity(blocks.len());
    for block in blocks {
        match block {
            ContentBlock::Text(text) => content.push(Content::Text { text: text.clone() }),
            ContentBlock::ToolUse(tool) => content.push(Content::ToolUse {
                id: tool.tool_use_id().to_owned(),
                name: tool.name().to_owned(),
                input: to_value(tool.input()),
            }),
            ContentBlock::ToolResult(_) => {
                return Err(ModelError::Transient("the model answered with a tool result".to_owned()))
            }
            _ => {}
        }
    }
    Ok(content)
}

/// What the squad does with a stop reason. A truncated answer is `MaxTokens` (never final); a
/// filtered one is refused so the run goes to a person instead of retrying the same request.
pub fn stop_reason(reason: &bedrock::StopReason) -> Result<StopReason, ModelError> {
    match reason {
        bedrock::StopReason::EndTurn | bedrock::StopReason::StopSequence => Ok(StopReason::EndTurn),
        bedrock::StopReason::ToolUse => Ok(StopReason::ToolUse),
        bedrock::StopReason::MaxTokens | bedrock::StopReason::ModelContextWindowExceeded => Ok(StopReason::MaxTokens),
        bedrock::StopReason::GuardrailIntervened | bedrock::StopReason::ContentFiltered => {
            Err(ModelError::Refused(format!("the model's content filter stopped the answer ({})", reason.as_str())))
        }
        bedrock::StopReason::MalformedModelOutput | bedrock::StopReason::MalformedToolUse => {
            Err(ModelError::Transient(format!("the model's answer was malformed ({})", reason.as_str())))
        }
        other => Err(ModelError::Refused(format!("unknown stop reason `{}`", other.as_str()))),
    }
}

pub fn usage(usage: Option<&bedrock::TokenUsage>) -> Usage {
    let count = |n: i32| u64::try_from(n).unwrap_or(0);
    usage.map_or_else(Usage::default, |u| Usage {
        input_tokens: count(u.input_tokens()),
        output_tokens: count(u.output_tokens()),
        cache_read_tokens: count(u.cache_read_input_tokens().unwrap_or(0)),
        cache_write_tokens: count(u.cache_write_input_tokens().unwrap_or(0)),
    })
}

/// A whole Converse answer from `model_id`.
pub fn response(
    model_id: &str,
    output: Option<&bedrock::ConverseOutput>,
    reason: &bedrock::StopReason,
    token_usage: Option<&bedrock::TokenUsage>,
) -> Result<ModelResponse, ModelError> {
    let blocks = match output {
        Some(bedrock::ConverseOutput::Message(message)) => message.content(),
        _ => return Err(ModelError::Transient("the model returned no message".to_owned())),
    };
    Ok(ModelResponse {
        content: response_content(blocks)?,
        stop_reason: stop_reason(reason)?,
        usage: usage(token_usage),
        model_id: Some(model_id.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use squad_core::model::{InferenceSettings, SystemBlock, ToolSpec};

    use super::*;

    fn request(system_chars: usize, tool_description_chars: usize) -> ModelRequest {
        ModelRequest {
            system: vec![
                SystemBlock { text: "s".repeat(system_chars), cache_point: true },
                SystemBlock { text: "Today is Monday.".to_owned(), cache_point: false },
            ],
            messages: vec![
                Message { role: Role::User, content: vec![Content::Text { text: "No heat".to_owned() }] },
                Message {
                    role: Role::Assistant,
                    content: vec![Content::ToolUse {
                        id: "t1".to_owned(),
                        name: "find_slots".to_owned(),
                        input: json!({ "service_code": "FURN-DIAG", "days": 3 }),
                    }],
                },
                Message {
                    role: Role::User,
                    content: vec![Content::ToolResult {
                        tool_use_id: "t1".to_owned(),
                        content: json!({ "slots": [1, 2] }),
                        is_error: false,
                    }],
                },
            ],
            tools: vec![ToolSpec {
                name: "find_slots".to_owned(),
                description: "d".repeat(tool_description_chars),
                input_schema: json!({ "type": "object", "properties": { "days": { "type": "integer" } } }),
            }],
            settings: InferenceSettings {
                model_id: "anthropic.claude-3-5-haiku-20241022-v1:0".to_owned(),
                temperature: 0.1,
                max_tokens: 1024,
                top_p: 0.9,
            },
        }
    }

    const HAIKU: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
    const SONNET: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";

    #[test]
    fn cache_points_only_above_the_models_minimum() {
        // About 1,500 tokens of system prompt: enough for Sonnet (1,024), not for Haiku (2,048).
        let parts = request_parts(&request(6_000, 40), HAIKU).unwrap();
        assert_eq!(parts.cache_points, 0);
        assert!(!parts.system.iter().any(|b| matches!(b, SystemContentBlock::CachePoint(_))));
        let parts = request_parts(&request(6_000, 40), SONNET).unwrap();
        assert_eq!(parts.cache_points, 1);
        assert!(matches!(parts.system[1], SystemContentBlock::CachePoint(_)), "right after the cached block");
        // Long tool definitions get their own point, and the system prompt's prefix includes them.
        let parts = request_parts(&request(400, 9_000), HAIKU).unwrap();
        assert_eq!(parts.cache_points, 2);
        let tools = parts.tool_config.unwrap();
        assert!(matches!(tools.tools().last(), Some(Tool::CachePoint(_))));
        // A model without caching gets none.
        assert_eq!(request_parts(&request(40_000, 40_000), "meta.llama3-70b-instruct-v1:0").unwrap().cache_points, 0);
    }

    /// What the squad's own prompts and tools weigh, and so where caching them pays: Lead
    /// Response's tools alone (their typed kinds of work) pass the 1,000 / 1,024 minimums of Nova
    /// and Claude Sonnet, and with its prompt earn a second point; the Scheduler's prefix (with
    /// `offer_times`, just over 1,000 tokens) earns one on Nova; Invoice's (about 710) passes none;
    /// on Claude 3.5 Haiku (2,048) nothing is cached.
    #[test]
    fn where_the_squads_own_prefixes_are_long_enough_to_cache() {
        use squad_core::agents::{self, AgentName};
        let cache_points = |agent: AgentName, model: &str| {
            let request = ModelRequest {
                system: vec![SystemBlock { text: agents::prompt(agent).text, cache_point: true }],
                messages: vec![Message { role: Role::User, content: vec![Content::Text { text: "hi".to_owned() }] }],
                tools: agents::tools(agent, &Default::default()),
                settings: agents::settings(agent, model),
            };
            request_parts(&request, model).unwrap().cache_points
        };
        for agent in [AgentName::LeadResponse, AgentName::Scheduler, AgentName::Invoice] {
            assert_eq!(cache_points(agent, HAIKU), 0, "{agent:?} on Claude 3.5 Haiku");
        }
        assert_eq!(cache_points(AgentName::LeadResponse, "amazon.nova-lite-v1:0"), 2);
        assert_eq!(cache_points(AgentName::LeadResponse, SONNET), 2);
        assert_eq!(cache_points(AgentName::Scheduler, "amazon.nova-lite-v1:0"), 1);
        assert_eq!(cache_points(AgentName::Invoice, SONNET), 0);
    }

    #[test]
    fn messages_tools_and_settings_map_without_loss() {
        let parts = request_parts(&request(10, 10), HAIKU).unwrap();
        assert_eq!(parts.messages.len(), 3);
        let ContentBlock::ToolUse(tool) = &parts.messages[1].content()[0] else { panic!("tool use") };
        assert_eq!((tool.tool_use_id(), tool.name()), ("t1", "find_slots"));
        assert_eq!(to_value(tool.input()), json!({ "service_code": "FURN-DIAG", "days": 3 }));
        let ContentBlock::ToolResult(result) = &parts.messages[2].content()[0] else { panic!("tool result") };
        assert_eq!(result.status(), Some(&ToolResultStatus::Success));
        assert!(
            matches!(&result.content()[0], ToolResultContentBlock::Json(d) if to_value(d) == json!({ "slots": [1, 2] }))
        );
        assert_eq!(parts.inference.max_tokens(), Some(1024));
        assert_eq!(parts.inference.temperature(), Some(0.1));
    }

    #[test]
    fn truncated_answers_are_never_final_and_filtered_ones_are_refused() {
        assert_eq!(stop_reason(&bedrock::StopReason::MaxTokens).unwrap(), StopReason::MaxTokens);
        assert_eq!(stop_reason(&bedrock::StopReason::ModelContextWindowExceeded).unwrap(), StopReason::MaxTokens);
        assert_eq!(stop_reason(&bedrock::StopReason::StopSequence).unwrap(), StopReason::EndTurn);
        assert!(matches!(stop_reason(&bedrock::StopReason::ContentFiltered), Err(ModelError::Refused(_))));
        assert!(matches!(stop_reason(&bedrock::StopReason::MalformedToolUse), Err(ModelError::Transient(_))));
    }
}
