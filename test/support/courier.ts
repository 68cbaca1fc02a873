import { fileURLToPath } from "node:url";
import type { ChatCompletionRequest } from "@copilotkit/aimock";
import type { FakeLlm } from "../fakes/llm.js";
import { lastUserText, systemText } from "./scripted-llm.js";

/**
 * A project whose specialist acts outside the bot: the fake MCP server's `send` (external, as it is
 * not marked read-only), which waits for a person's yes under the default TOOL_APPROVAL.
 */
export const SEND_TOOL = "ext__send";

/** MCP_SERVERS's value: the fake server as `ext`, writing what `send` sends into `sentFile`. */
export function courierMcp(sentFile: string): string {
  return JSON.stringify([
    {
      name: "ext",
      command: process.execPath,
      args: ["--import", "tsx", fileURLToPath(new URL("../fakes/mcp-server.ts", import.meta.url))],
      env: { MCP_FAKE_SENT_FILE: sentFile },
    },
  ]);
}

/** SPECIALISTS's value: a specialist that may use the send tool. */
export const courierSpecialist = JSON.stringify([
  { name: "courier", capabilities: ["delivery"], systemPrompt: "You deliver messages.", tools: [SEND_TOOL] },
]);

/** `deliver` sends with the tool; `report` writes up what it did. */
export const courierPlan = [
  { key: "deliver", description: "Deliver the message", capabilities: ["delivery"], dependsOn: [] as string[] },
  { key: "report", description: "Report what was done", capabilities: ["synthesis"], dependsOn: ["deliver"] },
];

/** One model call of a specialist: its task, whom its project greets, and what its tools answered so far in the task. */
export interface CourierCall {
  key: string;
  recipient: string;
  toolResults: string[];
}

/**
 * Scripts the fake LLM for projects whose goal is "Greet RECIPIENT ...": the coordinator answers
 * `courierPlan`; `deliver` calls the send tool with `{to: RECIPIENT, text: "hello"}` and, once it
 * has the call's result, answers with it; `report` answers with what `deliver` reported.
 */
export function scriptCourierLlm(llm: FakeLlm): CourierCall[] {
  const calls: CourierCall[] = [];
  llm.mock.clearFixtures();
  llm.mock.addFixture({
    match: { predicate: () => true },
    response: async (request: ChatCompletionRequest) => {
      const system = systemText(request);
      if (system.includes("coordinator of a team")) return { content: JSON.stringify({ tasks: courierPlan }) };
      const input = lastUserText(request);
      const key = /Your task \(([\w-]+)\)/.exec(input)?.[1] ?? "?";
      const toolResults = request.messages.flatMap((message) =>
        message.role === "tool" && typeof message.content === "string" ? [message.content] : [],
      );
      const recipient = /project whose goal is: Greet (\S+)/.exec(system)?.[1] ?? "nobody";
      calls.push({ key, recipient, toolResults });
      if (key === "report") return { content: `REPORT: ${/Delivered: [^\n]*/.exec(input)?.[0] ?? "nothing delivered"}` };
      if (toolResults.length === 0)
        return { toolCalls: [{ name: SEND_TOOL, arguments: JSON.stringify({ to: recipient, text: "hello" }), id: `call-${recipient}` }] };
      const answer = toolResults.join(" ");
      return { content: /declined/.test(answer) ? "Delivered: nothing, the send was declined." : `Delivered: ${answer}` };
    },
  });
  return calls;
}
