import type { Tool } from "../define.js";
import type { UnavailableTool } from "../registry.js";
import { calculatorTool } from "./calculator.js";
import { currentTimeTool } from "./current-time.js";
import { type HttpRequestSettings, httpRequestTool } from "./http-request.js";
import { type ChannelMemory, memoryTools } from "./memory.js";
import { type WeatherSettings, weatherTool } from "./weather.js";
import { type SearchProvider, webSearchHint, webSearchTool } from "./web-search.js";

export interface BuiltinSettings {
  http: HttpRequestSettings;
  search?: SearchProvider;
  weather: WeatherSettings;
}

/** The built-in tools the settings enable, and what would enable the others. */
export function builtinTools(settings: BuiltinSettings, memory: ChannelMemory): { tools: Tool[]; unavailable: UnavailableTool[] } {
  const tools = [calculatorTool, currentTimeTool, weatherTool(settings.weather), ...memoryTools(memory)];
  const unavailable: UnavailableTool[] = [];
  if (settings.search) tools.push(webSearchTool(settings.search));
  else unavailable.push({ name: "web_search", howToEnable: webSearchHint });
  if (settings.http.apis.length > 0) tools.push(httpRequestTool(settings.http));
  else unavailable.push({ name: "http_request", howToEnable: "describe the REST APIs it may call in HTTP_APIS" });
  return { tools, unavailable };
}
