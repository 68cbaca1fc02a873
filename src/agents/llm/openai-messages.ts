import type { ChatCompletionContentPart, ChatCompletionFunctionTool, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ChatImage, ChatMessage, ToolSpec } from "./types.js";

/** Our message union to OpenAI's wire shape. */
export function toOpenAiMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map(toOpenAiMessage);
}

function toOpenAiMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user": {
      const name = message.name === undefined ? undefined : participantName(message.name);
      const content = message.images?.length ? withImages(message.content, message.images) : message.content;
      return name ? { role: "user", content, name } : { role: "user", content };
    }
    case "assistant": {
      const calls = message.toolCalls ?? [];
      // OpenAI rejects an empty tool_calls array, and some servers reject "" beside tool calls.
      if (calls.length === 0) return { role: "assistant", content: message.content };
      return {
        role: "assistant",
        content: message.content === "" ? null : message.content,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    }
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
  }
}

/** Text then images, as OpenAI's content parts: `{type: "image_url", image_url: {url: "data:image/png;base64,…"}}`. */
function withImages(text: string, images: ChatImage[]): ChatCompletionContentPart[] {
  return [{ type: "text", text }, ...images.map((image) => ({ type: "image_url" as const, image_url: { url: image.url } }))];
}

export function toOpenAiTools(tools: ToolSpec[]): ChatCompletionFunctionTool[] {
  return tools.map((tool) => ({
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

/** OpenAI allows only [A-Za-z0-9_-]{1,64} as a name; a display name with spaces would be a 400. */
function participantName(name: string): string | undefined {
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64);
  return /[A-Za-z0-9]/.test(cleaned) ? cleaned : undefined;
}
